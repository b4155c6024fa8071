import json
import urllib.error
import urllib.request


def get(i, tok):
    req = urllib.request.Request(f"http://127.0.0.2:8082/api/orders/{i}", headers={"X-Token": tok})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


code, body = get(2, "tok-minsu-7f3a91")
assert code == 200 and json.loads(body)["item"] == "무선 키보드", (code, body)
assert get(4, "tok-minsu-7f3a91")[0] == 200
code, body = get(3, "tok-jiyoung-22c0de")
assert code == 200 and json.loads(body)["owner"] == "jiyoung"
assert get(9, "tok-minsu-7f3a91")[0] == 404
assert get(2, "bad-token")[0] == 401
print("tests ok")
