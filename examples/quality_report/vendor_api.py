#!/usr/bin/env python3
"""A TEST vendor API for the quality-report example — a stand-in for a real
vendor's notification endpoint, so the example runs anywhere, offline.

POST /notifications   stores the JSON body, answers 201 with Location /notifications/N
GET  /notifications/N the stored body (404 when absent)
DELETE /notifications/N removes it (204; 404 when absent)
GET  /notifications   every stored notification

Listens on 127.0.0.1 on a free port and prints "listening on http://127.0.0.1:PORT"
first. Standard library only.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOTES = {}
NEXT = [1]


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _id(self):
        parts = self.path.split("/")
        return parts[2] if len(parts) == 3 and parts[1] == "notifications" else None

    def do_POST(self):
        if self.path != "/notifications":
            return self._send(404, {"error": "no such route"})
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return self._send(400, {"error": "the body is not JSON"})
        note_id = str(NEXT[0])
        NEXT[0] += 1
        NOTES[note_id] = body
        self._send(201, {"id": note_id, **(body if isinstance(body, dict) else {})},
                   [("Location", "/notifications/" + note_id)])

    def do_GET(self):
        if self.path == "/notifications":
            return self._send(200, [{"id": k, **v} for k, v in NOTES.items()])
        note_id = self._id()
        if note_id in NOTES:
            return self._send(200, {"id": note_id, **NOTES[note_id]})
        self._send(404, {"error": "not found"})

    def do_DELETE(self):
        note_id = self._id()
        if note_id not in NOTES:
            return self._send(404, {"error": "not found"})
        del NOTES[note_id]
        self._send(204)

    def log_message(self, fmt, *args):
        sys.stderr.write("vendor api: " + fmt % args + "\n")


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()
