from suho.cli import entry

entry()
