"""Shop order API (training target: deliberately vulnerable)."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with open("/srv/orders.json", encoding="utf-8") as f:
    DATA = json.load(f)
TOKENS = DATA["tokens"]  # token -> user
ORDERS = {o["id"]: o for o in DATA["orders"]}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        user = TOKENS.get(self.headers.get("X-Token", ""))
        if user is None:
            return self.reply(401, "login required")
        parts = self.path.strip("/").split("/")
        if parts[:2] != ["api", "orders"] or len(parts) != 3 or not parts[2].isdigit():
            return self.reply(404, "not found")
        order = ORDERS.get(int(parts[2]))
        if order is None:
            return self.reply(404, "no such order")
        return self.reply(200, json.dumps(order, ensure_ascii=False))

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
