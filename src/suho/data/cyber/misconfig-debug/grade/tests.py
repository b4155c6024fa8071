import json
import urllib.request

with urllib.request.urlopen("http://127.0.0.2:8085/", timeout=5) as r:
    assert json.loads(r.read())["status"] == "ok"
with urllib.request.urlopen("http://127.0.0.2:8085/health", timeout=5) as r:
    assert json.loads(r.read())["ok"] is True
print("tests ok")
