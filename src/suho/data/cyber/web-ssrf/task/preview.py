"""Link preview server (training target: deliberately vulnerable)."""

import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ME = sys.argv[1]


def fetch(url):
    u = urlparse(url)
    if u.scheme != "http" or not u.hostname:
        raise ValueError("only http:// links are previewed")
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=3, source_address=(ME, 0))
    conn.request("GET", u.path or "/")
    return conn.getresponse().read(2000).decode("utf-8", "replace")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/preview":
            return self.reply(404, "not found")
        target = parse_qs(url.query).get("url", [""])[0]
        try:
            return self.reply(200, "미리보기: " + fetch(target))
        except Exception as e:
            return self.reply(502, f"미리보기 실패: {e}")

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((ME, int(sys.argv[2])), Handler).serve_forever()
