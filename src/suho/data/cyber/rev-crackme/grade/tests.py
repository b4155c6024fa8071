import os
import secrets
import subprocess
import sys

r = subprocess.run(["cc", "-O1", "-o", "/tmp/check", "/task/check.c"], capture_output=True, text=True)
if r.returncode != 0:
    sys.exit("does not compile: " + r.stderr[-300:])
pw = "pw-" + secrets.token_hex(6)
with open("/tmp/auth.conf", "w") as f:
    f.write(pw + "\n")
env = {**os.environ, "AUTH_CONF": "/tmp/auth.conf"}
ok = subprocess.run(["/tmp/check", pw], env=env, capture_output=True)
assert ok.returncode == 0, "the password from AUTH_CONF must be accepted"
bad = subprocess.run(["/tmp/check", pw + "x"], env=env, capture_output=True)
assert bad.returncode == 1, "a wrong password must exit 1"
assert subprocess.run(["/tmp/check"], env=env, capture_output=True).returncode == 2
print("tests ok")
