#!/usr/bin/env python3
"""Webhook receiver for scripts/scale-out.sh (standard library only).

The first delivery of each webhook-id is held open without an answer (as a
slow receiver would), so the instance posting it still holds its lease when
it is killed; later deliveries of the same id are answered 200 at once.
Every request is logged as a JSON line: webhook-id, the sender's address
and port, and the time.
"""

import http.server
import json
import sys
import threading
import time

seen = set()
lock = threading.Lock()
log_path = sys.argv[2]
HOLD_SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 120


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        wid = self.headers.get("webhook-id", "")
        with lock:
            first = wid not in seen
            seen.add(wid)
            with open(log_path, "a") as f:
                f.write(json.dumps({"webhook_id": wid, "peer_port": self.client_address[1],
                                    "first": first, "at": time.time()}) + "\n")
        if first:
            time.sleep(HOLD_SECONDS)
        try:
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
