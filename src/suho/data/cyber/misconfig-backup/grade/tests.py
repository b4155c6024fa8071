import urllib.error
import urllib.request


def get(path):
    try:
        with urllib.request.urlopen("http://127.0.0.2:8084" + path, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


code, body = get("/")
assert code == 200 and "해오름구청" in body, (code, body)
assert get("/notice.html")[0] == 200
assert get("/style.css")[0] == 200
assert get("/robots.txt")[0] == 200
assert get("/missing.html")[0] == 404
print("tests ok")
