import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALLOWED = "127.0.0.2"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.client_address[0] != ALLOWED:
            text, code = "내부 전용 / internal only", 403
        elif self.path == "/flag":
            text, code = "관리자 플래그: {{flag}}", 200
        else:
            text, code = "관리 서버 v1: /flag", 200
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
