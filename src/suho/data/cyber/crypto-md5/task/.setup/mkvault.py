import sys

sys.path.insert(0, "/task")
from vault import crypt

with open("/task/vault.bin", "wb") as f:
    f.write(crypt("{{adminpw}}", "VAULT1\n금고 내용: {{flag}}\n".encode()))
