from suho.cli import main

main()
