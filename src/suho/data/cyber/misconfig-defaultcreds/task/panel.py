"""Device admin panel (training target: deliberately misconfigured)."""

import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open("/srv/panel.json", encoding="utf-8") as f:
    CONF = json.load(f)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/admin":
            return self.reply(404, "not found")
        auth = self.headers.get("Authorization", "")
        try:
            user, _, pw = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        except ValueError:
            user = pw = ""
        if CONF["users"].get(user) != pw or not pw:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="HR-200"')
            self.end_headers()
            return
        self.reply(200, f"HR-200 관리 화면 - 장비 키: {CONF['device_key']}")

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
