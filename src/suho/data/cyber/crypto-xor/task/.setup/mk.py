import os
import sys

sys.path.insert(0, "/task")
from cipher import encrypt

key = os.urandom(32)
with open("/task/notice.txt", "rb") as f:
    notice = f.read()
with open("/task/notice.enc", "wb") as f:
    f.write(encrypt(key, notice))
with open("/task/secret.enc", "wb") as f:
    f.write(encrypt(key, "서버 점검용 비상 코드: {{flag}}".encode()))
