"""Opens the vault: python3 vault.py decrypt PASSWORD"""

import hashlib
import sys


def stream(key, n):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(key + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:n]


def crypt(password, data):
    key = hashlib.sha256(password.encode()).digest()
    return bytes(a ^ b for a, b in zip(data, stream(key, len(data))))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "decrypt":
        sys.exit("usage: vault.py decrypt PASSWORD")
    plain = crypt(sys.argv[2], open("/task/vault.bin", "rb").read())
    if not plain.startswith(b"VAULT1\n"):
        sys.exit("wrong password")
    print(plain[7:].decode())
