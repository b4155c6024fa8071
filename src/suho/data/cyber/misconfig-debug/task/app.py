"""Booking service (training target: deliberately misconfigured)."""

import configparser
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

cfg = configparser.ConfigParser()
cfg.read("/app/settings.ini", encoding="utf-8")
DEBUG = cfg.getboolean("app", "debug", fallback=False)
SECRETS = dict(line.strip().split("=", 1) for line in open("/srv/secret.env") if "=" in line)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            return self.reply(200, {"service": cfg.get("app", "name"), "status": "ok"})
        if self.path == "/health":
            return self.reply(200, {"ok": True})
        if DEBUG and self.path.startswith("/debug"):
            return self.reply(200, {"debug": True, "settings": dict(cfg["app"]), "env": SECRETS})
        return self.reply(404, {"error": "not found"})

    def reply(self, code, obj):
        body = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
