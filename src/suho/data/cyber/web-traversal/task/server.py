"""Public file server (training target: deliberately vulnerable)."""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ROOT = "/app/public"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/":
            return self.reply(200, "자료실: " + ", ".join(sorted(os.listdir(ROOT))))
        if url.path != "/files":
            return self.reply(404, "not found")
        name = parse_qs(url.query).get("name", [""])[0]
        path = os.path.join(ROOT, name)
        try:
            with open(path, encoding="utf-8") as f:
                return self.reply(200, f.read())
        except OSError:
            return self.reply(404, "파일 없음 / no such file")

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
