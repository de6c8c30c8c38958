#!/usr/bin/env python3
"""Intake load for the reliability scripts, standard library only.

`load`: each worker (one claimant token) files claims and submits them, one
after the other, with an Idempotency-Key on every POST. A request that gets
no answer (connection refused or reset while the server is down, a timeout)
or an answer that means "try later" (503, 409 idempotency-in-flight, 429) is
sent again with the same key and the same bytes until a final answer comes.
What the client was told is written to a JSON file.

`check`: compares that file with what the service holds afterwards: every
acknowledged claim present exactly once and in the acknowledged state, no
claim the client was not told about, no duplicate reference numbers.
Exits 1 on any difference.
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

RETRY_STATUSES = {408, 429, 502, 503, 504}
WEIGHTS = [-1, 5, 7, 9, 4, 6, 10, 5, 7]


def rnokpp(rng):
    """A random tax number whose check digit holds."""
    digits = [rng.randrange(10) for _ in range(9)]
    check = sum(w * d for w, d in zip(WEIGHTS, digits)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def claim_body(rng):
    cadastral = "32109{:05d}:{:02d}:{:03d}:{:04d}".format(
        rng.randrange(100000), rng.randrange(100), rng.randrange(1000), rng.randrange(10000)
    )
    return {
        "claimant": {
            "claimant_type": "natural_person",
            "given_name": "Олена",
            "family_name": "Load-" + uuid.uuid4().hex[:8],
            "date_of_birth": "1980-05-17",
            "tax_number": rnokpp(rng),
            "nationalities": ["UA"],
            "contact": {"email": "load@example.ua"},
        },
        "category": "A3.1",
        "incident": {"kind": "on", "date": "2022-03-14"},
        "location": {
            "region": "UA-32",
            "settlement": "Ірпінь",
            "address": "вул. Університетська 1",
            "cadastral_number": cadastral,
            "occupied_territory": True,
        },
        "narrative": "The house was hit by artillery and burned down.",
        "losses": [
            {
                "description": "House",
                "amount": {"amount": "{}.{:02d}".format(rng.randrange(1000, 200000), rng.randrange(100)), "currency": "EUR"},
                "valuation_basis": "valuation report",
            }
        ],
        "category_fields": {
            "property_type": "house",
            "floor_area_m2": "112.5",
            "ownership_document": "Certificate of ownership 45/2010",
            "damage_extent": "destroyed",
        },
    }


class Client:
    def __init__(self, base, token, timeout):
        parts = urlsplit(base)
        self.host = parts.hostname
        self.port = parts.port or 80
        self.token = token
        self.timeout = timeout
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def once(self, method, path, body=None, headers=None):
        """One attempt: (status, headers, parsed body), or None without an answer."""
        h = {"Authorization": "Bearer " + self.token}
        if body is not None:
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=h)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def add(self, name, n=1):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n


def until_answered(client, stats, method, path, body, key, deadline):
    """Sends the same request until a final answer; None if the hard deadline passes."""
    data = json.dumps(body).encode() if body is not None else None
    while time.monotonic() < deadline:
        stats.add("requests")
        got = client.once(method, path, data, {"Idempotency-Key": key})
        if got is None:
            stats.add("no_answer")
            time.sleep(0.2)
            continue
        status, headers, parsed = got
        stats.add("status_{}".format(status))
        if headers.get("idempotent-replayed") == "true":
            stats.add("replayed")
        in_flight = status == 409 and isinstance(parsed, dict) and parsed.get("type") == "/problems/idempotency-in-flight"
        if status == 303 and headers.get("location"):
            # The request was carried out before its answer was lost with
            # the process: the retry is pointed at the result, which a
            # client reads (as an HTTP client following 303 would).
            stats.add("see_other")
            got = client.once("GET", headers["location"])
            if got is None or got[0] != 200:
                time.sleep(0.2)
                continue
            return 303, got[2]
        if status in RETRY_STATUSES or in_flight or status >= 500:
            try:
                wait = float(headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.2), 2.0))
            continue
        return status, parsed
    return None


def worker(index, args, token, stats, outcome, stop_at, hard_deadline):
    rng = random.Random(args.seed * 1000 + index)
    client = Client(args.base, token, args.timeout)
    claims = []
    outcome[index] = {"token_index": index, "claims": claims, "unanswered": 0, "refused": []}
    while time.monotonic() < stop_at:
        body = claim_body(rng)
        created = until_answered(client, stats, "POST", "/v1/claims", body, "create-" + uuid.uuid4().hex, hard_deadline)
        if created is None:
            outcome[index]["unanswered"] += 1
            return
        status, parsed = created
        if status not in (201, 303):
            outcome[index]["refused"].append({"step": "create", "status": status, "body": parsed})
            continue
        record = {"id": parsed["id"], "created": True, "submitted": False, "reference": None}
        claims.append(record)
        submitted = until_answered(client, stats, "POST", "/v1/claims/{}/submit".format(parsed["id"]), None, "submit-" + uuid.uuid4().hex, hard_deadline)
        if submitted is None:
            outcome[index]["unanswered"] += 1
            return
        status, parsed = submitted
        if status in (200, 303):
            record["submitted"] = True
            record["reference"] = parsed.get("reference")
        elif status == 409 and isinstance(parsed, dict) and parsed.get("current_status") == "submitted":
            # The submission committed but its answer was lost with the
            # process; the retry ran again and found it done. A client
            # looks the claim up, and so does this one.
            stats.add("submit_answer_lost")
            record["answer_lost"] = True
            for _ in range(100):
                got = client.once("GET", "/v1/claims/{}".format(record["id"]))
                if got is not None and got[0] == 200:
                    record["submitted"] = True
                    record["reference"] = got[2].get("reference")
                    break
                time.sleep(0.2)
        else:
            record["submit_answer"] = {"status": status, "body": parsed}
            outcome[index]["refused"].append({"step": "submit", "status": status, "body": parsed})


def load(args):
    tokens = [t.strip() for t in open(args.tokens) if t.strip()]
    stats = Stats()
    outcome = [None] * len(tokens)
    started = time.monotonic()
    stop_at = started + args.duration
    # Retries after the last restart may wait out an idempotency lease.
    hard_deadline = stop_at + args.drain
    threads = [
        threading.Thread(target=worker, args=(i, args, t, stats, outcome, stop_at, hard_deadline), daemon=True)
        for i, t in enumerate(tokens)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = {
        "seconds": round(time.monotonic() - started, 1),
        "stats": stats.counts,
        "workers": outcome,
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    acked = sum(1 for w in outcome for c in w["claims"])
    print("load: {} claims acknowledged, {} requests, {} without answer (retried), {} replayed, {}s".format(
        acked, stats.counts.get("requests", 0), stats.counts.get("no_answer", 0),
        stats.counts.get("replayed", 0), result["seconds"]))
    unanswered = sum(w["unanswered"] for w in outcome)
    if unanswered:
        print("load: {} requests never got a final answer before the deadline".format(unanswered), file=sys.stderr)
        return 1
    return 0


def list_all(client, query=""):
    items = []
    cursor = None
    while True:
        path = "/v1/claims?limit=500" + query + ("&cursor=" + cursor if cursor else "")
        got = None
        for _ in range(50):
            got = client.once("GET", path)
            if got is not None and got[0] == 200:
                break
            time.sleep(0.2)
        if got is None or got[0] != 200:
            raise SystemExit("check: cannot list claims: {}".format(got))
        items.extend(got[2]["items"])
        cursor = got[2].get("next_cursor")
        if not cursor:
            return items


def check(args):
    """Hard failures (a loss) always fail; answers lost in a crash window
    (a claim the filer was never told about, a submission answered 409
    after it committed) are counted, and fail only with --strict."""
    result = json.load(open(args.results))
    tokens = [t.strip() for t in open(args.tokens) if t.strip()]
    lost, untold = [], []
    acknowledged = 0
    for w in result["workers"]:
        client = Client(args.base, tokens[w["token_index"]], args.timeout)
        listed = list_all(client)
        by_id = {}
        for item in listed:
            by_id.setdefault(item["id"], []).append(item)
        told = {c["id"]: c for c in w["claims"]}
        acknowledged += len(told)
        for cid, c in told.items():
            held = by_id.get(cid, [])
            if len(held) != 1:
                lost.append("claim {} acknowledged, held {} times".format(cid, len(held)))
                continue
            item = held[0]
            if not c["submitted"]:
                lost.append("claim {} submission answered {} (held as {})".format(
                    cid, c.get("submit_answer"), item["status"]))
            elif item["status"] != "submitted" or item["reference"] != c["reference"]:
                lost.append("claim {} acknowledged as submitted {}, held as {} {}".format(
                    cid, c["reference"], item["status"], item["reference"]))
        for cid, items in by_id.items():
            if cid not in told:
                untold.append("claim {} ({}) held but never acknowledged to its filer".format(cid, items[0]["status"]))
        for refused in w["refused"]:
            if refused["step"] != "submit":
                lost.append("refused: {}".format(refused))
    staff = Client(args.base, args.staff_token, args.timeout)
    everything = list_all(staff)
    references = [c["reference"] for c in everything if c.get("reference")]
    duplicates = sorted({r for r in references if references.count(r) > 1})
    if duplicates:
        lost.append("duplicate reference numbers: {}".format(duplicates[:10]))
    answers_lost = result["stats"].get("submit_answer_lost", 0)
    for f in lost[:50]:
        print("check: FAIL " + f, file=sys.stderr)
    for f in untold[:50]:
        print("check: {} {}".format("FAIL" if args.strict else "crash window:", f), file=sys.stderr)
    print("check: {} acknowledged claims, {} held, {} unique references; lost {}, untold {}, "
          "submissions answered 409 after committing {}".format(
              acknowledged, len(everything), len(set(references)), len(lost), len(untold), answers_lost))
    if lost:
        return 1
    if args.strict and (untold or answers_lost):
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    for name in ("load", "check"):
        s = sub.add_parser(name)
        s.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
        s.add_argument("--tokens", required=True, help="file with one claimant token a line; one worker each")
        s.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as unanswered")
    l = sub.choices["load"]
    l.add_argument("--duration", type=float, default=30.0, help="seconds of new claims")
    l.add_argument("--drain", type=float, default=90.0, help="seconds allowed afterwards for retries to get answers")
    l.add_argument("--seed", type=int, default=1)
    l.add_argument("--out", required=True)
    c = sub.choices["check"]
    c.add_argument("--results", required=True)
    c.add_argument("--staff-token", required=True, help="a registrar token, to list every claim")
    c.add_argument("--strict", action="store_true", help="also fail on answers lost in a crash window")
    args = p.parse_args()
    if not args.base.startswith("http://127.") and not args.base.startswith("http://localhost"):
        raise SystemExit("only loopback addresses are load-tested")
    sys.exit(load(args) if args.mode == "load" else check(args))


if __name__ == "__main__":
    main()
