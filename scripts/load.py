#!/usr/bin/env python3
"""Load driver for scripts/scale-out.sh (standard library only).

Intake threads file claims and submit them, each POST with its own
Idempotency-Key, retried with the same key on connection errors, 5xx and
409 "in flight" (the retry may land on another instance behind the proxy).
Staff threads take submitted claims up (review), then either request
information or record them (If-Match from the review's ETag).

Writes a JSON result: operation counts, latencies, and every acknowledged
claim (its id, its reference number, the keys used), which the caller
checks against the database.
"""

import argparse
import http.client
import json
import queue
import random
import threading
import time
import urllib.parse
import uuid

CLAIM = {
    "claimant": {
        "claimant_type": "natural_person",
        "given_name": "Olena",
        "family_name": "Kovalenko",
        "date_of_birth": "1980-05-17",
        "tax_number": "3184710691",
        "nationalities": ["UA"],
        "contact": {"email": "olena@example.ua"},
    },
    "category": "A3.1",
    "incident": {"kind": "on", "date": "2022-03-14"},
    "location": {
        "region": "UA-32",
        "settlement": "Irpin",
        "address": "Universytetska 1",
        "cadastral_number": "3210900000:01:001:0001",
        "occupied_territory": True,
    },
    "narrative": "The house was hit by artillery and burned down.",
    "losses": [
        {
            "description": "House",
            "amount": {"amount": "85000.00", "currency": "EUR"},
            "valuation_basis": "valuation report",
        }
    ],
    "external_references": [],
    "category_fields": {
        "property_type": "house",
        "floor_area_m2": "112.5",
        "ownership_document": "Certificate of ownership 45/2010",
        "damage_extent": "destroyed",
    },
}

RETRYABLE = {409, 429, 500, 502, 503, 504}


class Client:
    """One keep-alive connection, reopened after any error."""

    def __init__(self, base, timeout):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port or 80, timeout
        self.conn = None

    def request(self, method, path, token, body=None, headers=None):
        h = {"authorization": f"Bearer {token}"}
        if body is not None:
            body = json.dumps(body).encode()
            h["content-type"] = "application/json"
        h.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        if r.getheader("connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        try:
            payload = json.loads(data) if data else None
        except ValueError:
            payload = None
        return r.status, payload, r.getheader("etag"), r.getheader("retry-after")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {}
        self.latencies = []
        self.retries = 0
        self.connection_errors = 0
        self.acknowledged = []
        self.failures = []

    def op(self, name, seconds):
        with self.lock:
            self.ops[name] = self.ops.get(name, 0) + 1
            self.latencies.append(seconds)


def post_until_answered(client, stats, path, token, body, key, deadline, headers=None):
    """POSTs with one Idempotency-Key until an answer that is not 'try again'."""
    h = {"idempotency-key": key}
    h.update(headers or {})
    started = time.monotonic()
    while True:
        try:
            status, payload, etag, retry_after = client.request("POST", path, token, body, h)
        except (OSError, http.client.HTTPException):
            with stats.lock:
                stats.connection_errors += 1
            status, payload, etag, retry_after = None, None, None, None
        if status == 303 and payload and payload.get("location"):
            # Carried out by an instance that died before answering: read
            # the result, as a client following the redirect would, and take
            # it as the answer the request would have had.
            try:
                got, payload, etag, _ = client.request("GET", payload["location"], token, None, {})
            except (OSError, http.client.HTTPException):
                got = None
            if got == 200:
                return (201 if path == "/v1/claims" else 200), payload, etag, time.monotonic() - started
        elif status is not None and status not in RETRYABLE:
            return status, payload, etag, time.monotonic() - started
        if status == 409 and payload and not str(payload.get("type", "")).endswith("idempotency-in-flight"):
            return status, payload, etag, time.monotonic() - started
        if time.monotonic() > deadline:
            return status, payload, etag, time.monotonic() - started
        with stats.lock:
            stats.retries += 1
        wait = 0.2
        if retry_after:
            try:
                wait = min(float(retry_after), 2.0)
            except ValueError:
                pass
        time.sleep(wait + random.random() * 0.1)


def intake(args, tokens, stats, submitted, stop, worker):
    client = Client(random.choice(args.base), args.timeout)
    n = 0
    while not stop.is_set():
        n += 1
        token = tokens["claimants"][worker % len(tokens["claimants"])]
        claim = json.loads(json.dumps(CLAIM))
        claim["location"]["cadastral_number"] = f"3210900000:{worker % 100:02d}:{n // 10000 % 1000:03d}:{n % 10000:04d}"
        # Retries of an acknowledged request may take a dead instance's key
        # lease to expire (the request timeout plus 30 s).
        deadline = time.monotonic() + args.retry_seconds
        create_key = f"load-{uuid.uuid4()}"
        status, created, _, took = post_until_answered(client, stats, "/v1/claims", token, claim, create_key, deadline)
        if status != 201:
            stats.failures.append({"op": "create", "status": status, "body": created})
            continue
        stats.op("create", took)
        record = {"id": created["id"], "create_key": create_key, "reference": None}
        submit_key = f"load-{uuid.uuid4()}"
        status, body, etag, took = post_until_answered(
            client, stats, f"/v1/claims/{created['id']}/submit", token, None, submit_key, deadline)
        if status == 200:
            stats.op("submit", took)
            record["reference"] = body.get("reference")
            record["submit_key"] = submit_key
            submitted.put(created["id"])
        else:
            stats.failures.append({"op": "submit", "status": status, "body": body})
        with stats.lock:
            stats.acknowledged.append(record)


def staff(args, tokens, stats, submitted, stop):
    client = Client(random.choice(args.base), args.timeout)
    while not stop.is_set():
        try:
            claim = submitted.get(timeout=0.2)
        except queue.Empty:
            continue
        deadline = time.monotonic() + args.retry_seconds
        status, body, etag, took = post_until_answered(
            client, stats, f"/v1/claims/{claim}/review", tokens["registrar"], None, f"load-{uuid.uuid4()}", deadline)
        if status != 200:
            stats.failures.append({"op": "review", "status": status, "body": body})
            continue
        stats.op("review", took)
        if random.random() < 0.3:
            status, body, _, took = post_until_answered(
                client, stats, f"/v1/claims/{claim}/information-requests", tokens["registrar"],
                {"message": "Please add the ownership certificate."}, f"load-{uuid.uuid4()}", deadline)
            name = "request_information"
        else:
            status, body, _, took = post_until_answered(
                client, stats, f"/v1/claims/{claim}/decision", tokens["board"],
                {"outcome": "recorded", "reasons": "Meets the criteria."}, f"load-{uuid.uuid4()}", deadline,
                headers={"if-match": etag or ""})
            name = "record"
        if status == 200:
            stats.op(name, took)
        else:
            stats.failures.append({"op": name, "status": status, "body": body})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--base", action="append", required=True, help="http://127.0.0.1:PORT (repeatable)")
    p.add_argument("--tokens", required=True, help="JSON: claimants[], registrar, board")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--intake-threads", type=int, default=6)
    p.add_argument("--staff-threads", type=int, default=2)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--retry-seconds", type=float, default=150)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    for b in args.base:
        if urllib.parse.urlsplit(b).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("load.py only targets loopback addresses")
    with open(args.tokens) as f:
        tokens = json.load(f)
    stats, submitted, stop = Stats(), queue.Queue(), threading.Event()
    threads = [threading.Thread(target=intake, args=(args, tokens, stats, submitted, stop, i), daemon=True)
               for i in range(args.intake_threads)]
    threads += [threading.Thread(target=staff, args=(args, tokens, stats, submitted, stop), daemon=True)
                for _ in range(args.staff_threads)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    # Threads finish the operation they are in (bounded by retry_seconds).
    for t in threads:
        t.join(timeout=args.retry_seconds + args.timeout + 5)
    elapsed = time.monotonic() - started
    lat = sorted(stats.latencies)
    pct = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))] * 1000, 1) if lat else None
    total = sum(stats.ops.values())
    result = {
        "seconds": round(elapsed, 2),
        "load_seconds": args.seconds,
        "ops": stats.ops,
        "ops_total": total,
        "ops_per_second": round(total / args.seconds, 1),
        "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
        "retries": stats.retries,
        "connection_errors": stats.connection_errors,
        "failures": stats.failures[:20],
        "failure_count": len(stats.failures),
        "acknowledged": stats.acknowledged,
        "unfinished_threads": sum(t.is_alive() for t in threads),
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
    summary = {k: v for k, v in result.items() if k not in ("acknowledged", "failures")}
    summary["acknowledged"] = len(stats.acknowledged)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
