#!/usr/bin/env python3
"""A local SMTP server for the notice tests: accepts mail on 127.0.0.1 and
writes each delivered message to a directory, one file per message.

    python3 -m pip install aiosmtpd
    scripts/smtp-sink.py --port 2525 --maildir /tmp/redress-mail

Each message is written as <ns>-NNNNNN-<recipient>.eml (an `X-Envelope-To:`
line, then the message as received), first under a temporary name and
then renamed, so a reader never sees half a message.

Refusals, to test retries:
  --refuse-first N   answer 451 to the first N messages the server receives;
  --refuse-tag TAG   answer 451 to the first message for each recipient
                     whose address contains TAG (default `+refuse`), then
                     accept the next ones: tests running side by side each
                     use recipients of their own.
"""

import argparse
import asyncio
import itertools
import os
import re
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, maildir, refuse_first, refuse_tag):
        self.maildir = maildir
        self.refuse_left = refuse_first
        self.refuse_tag = refuse_tag
        self.refused = set()
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    def refuse(self, recipients):
        with self.lock:
            if self.refuse_left > 0:
                self.refuse_left -= 1
                return True
            fresh = [
                r for r in recipients if self.refuse_tag and self.refuse_tag in r and r not in self.refused
            ]
            if fresh:
                self.refused.update(fresh)
                return True
        return False

    async def handle_DATA(self, server, session, envelope):
        recipients = list(envelope.rcpt_tos)
        if self.refuse(recipients):
            return "451 4.3.0 Try again later"
        for rcpt in recipients:
            n = next(self.counter)
            safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", rcpt)
            name = f"{time.time_ns()}-{n:06d}-{safe}.eml"
            tmp = os.path.join(self.maildir, f".{name}.tmp")
            data = envelope.original_content or envelope.content
            if isinstance(data, str):
                data = data.encode("utf-8")
            with open(tmp, "wb") as f:
                f.write(f"X-Envelope-To: {rcpt}\r\n".encode("utf-8"))
                f.write(data)
            os.rename(tmp, os.path.join(self.maildir, name))
        return "250 2.0.0 Message accepted"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--refuse-first", type=int, default=0)
    parser.add_argument("--refuse-tag", default="+refuse")
    args = parser.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    sink = Sink(args.maildir, args.refuse_first, args.refuse_tag)
    controller = Controller(sink, hostname=args.host, port=args.port)
    controller.start()
    print(f"smtp-sink: listening on {args.host}:{args.port}, writing to {args.maildir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
