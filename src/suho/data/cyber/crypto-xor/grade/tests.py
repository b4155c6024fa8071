import os
import sys

sys.path.insert(0, "/task")
import cipher

key = os.urandom(32)
for msg in (b"", "안녕하세요, 회의는 3시입니다".encode(), os.urandom(300)):
    assert cipher.decrypt(key, cipher.encrypt(key, msg)) == msg, "decrypt(encrypt(m)) must be m"
print("tests ok")
