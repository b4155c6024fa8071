import urllib.error
import urllib.parse
import urllib.request


def get(user, pw):
    q = urllib.parse.urlencode({"user": user, "pw": pw})
    try:
        with urllib.request.urlopen("http://127.0.0.2:8080/login?" + q, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


assert get("guest", "guest123") == (200, "안녕하세요 guest님. 메모: 회의실 예약은 금요일까지"), get("guest", "guest123")
assert get("kim", "kimpass9")[0] == 200
assert get("guest", "wrong")[0] == 403
assert get("nobody", "x")[0] == 403
print("tests ok")
