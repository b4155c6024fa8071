"""Internal notes service (training target: deliberately vulnerable)."""

import json
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("CREATE TABLE users (name TEXT, pw TEXT, note TEXT)")
with open("/srv/seed.json", encoding="utf-8") as f:
    for u in json.load(f):
        db.execute("INSERT INTO users VALUES (?, ?, ?)", (u["name"], u["pw"], u["note"]))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/login":
            return self.reply(404, "not found")
        q = parse_qs(url.query)
        user, pw = q.get("user", [""])[0], q.get("pw", [""])[0]
        try:
            rows = db.execute(f"SELECT name, note FROM users WHERE name = '{user}' AND pw = '{pw}'").fetchall()
        except sqlite3.Error as e:
            return self.reply(500, f"database error: {e}")
        if not rows:
            return self.reply(403, "로그인 실패 / login failed")
        name, note = rows[0]
        self.reply(200, f"안녕하세요 {name}님. 메모: {note}")

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
