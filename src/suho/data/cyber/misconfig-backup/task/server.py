"""District office static site (training target: deliberately misconfigured)."""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

ROOT = os.path.realpath("/srv/site")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        rel = unquote(urlparse(self.path).path).lstrip("/") or "index.html"
        path = os.path.realpath(os.path.join(ROOT, rel))
        if not path.startswith(ROOT + "/") or not os.path.isfile(path):
            return self.reply(404, b"not found")
        with open(path, "rb") as f:
            return self.reply(200, f.read())

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
