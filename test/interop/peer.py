#!/usr/bin/env python3
"""A clamator peer written against the wire only (PROTOCOL.md), with redis-py and nothing else.

It speaks the way the Python clamator package does: spaced JSON (json.dumps defaults, \\uXXXX
escapes for non-ASCII), integer ids, one reply stream per client instance.

Roles:
  client   calls the Nest arith sample and prints one PASS/FAIL line per check
  server   serves the `pyecho` service until SIGTERM/SIGINT; prints "pyecho ready" once its group exists
  ping     waits until Redis answers PING (exit 1 after --timeout seconds)
  cleanup  deletes every key under --prefix

Run with an interpreter that has redis-py (Debian: /usr/bin/python3 with python3-redis).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import uuid
from typing import Any

import redis

MAXLEN = 1024


def cmds_stream(prefix: str, service: str) -> str:
    return f"{prefix}:cmds:{service}"


def report(ok: bool, name: str, detail: str = "") -> bool:
    print(f"{'PASS' if ok else 'FAIL'} py-client: {name}{'' if ok else ': ' + detail}", flush=True)
    return ok


class WireClient:
    """Sends requests with integer ids and reads the answers from its own reply stream."""

    def __init__(self, r: redis.Redis, prefix: str) -> None:
        self.r = r
        self.prefix = prefix
        self.reply_stream = f"{prefix}:replies:{uuid.uuid4()}"
        self.next_id = 1
        self.last_entry = "0-0"
        self.replies: dict[Any, dict[str, Any]] = {}
        self.reply_entries: list[dict[str, str]] = []

    def call(self, method: str, params: Any, timeout_s: float = 15.0) -> dict[str, Any]:
        rpc_id = self.next_id
        self.next_id += 1
        envelope = {"jsonrpc": "2.0", "method": method, "params": params, "id": rpc_id}
        service = method.partition(".")[0]
        self.r.xadd(
            cmds_stream(self.prefix, service),
            {"type": "rpc", "envelope": json.dumps(envelope), "reply-to": self.reply_stream},
        )
        deadline = time.monotonic() + timeout_s
        while rpc_id not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply to {method} (id {rpc_id}) within {timeout_s} s")
            self.read_replies(block_ms=1000)
        return self.replies.pop(rpc_id)

    def notify(self, method: str, params: Any) -> None:
        envelope = {"jsonrpc": "2.0", "method": method, "params": params}
        self.r.xadd(cmds_stream(self.prefix, method.partition(".")[0]), {"type": "rpc", "envelope": json.dumps(envelope)})

    def read_replies(self, block_ms: int) -> None:
        result = self.r.xread({self.reply_stream: self.last_entry}, block=block_ms)
        for _stream, entries in result or []:
            for entry_id, fields in entries:
                self.last_entry = entry_id
                self.reply_entries.append(fields)
                reply = json.loads(fields["envelope"])
                self.replies[reply.get("id")] = reply

    def close(self) -> None:
        self.r.delete(self.reply_stream)


def check_reply_shape(reply: dict[str, Any], rpc_id_type: type = int) -> str:
    """What is wrong with the envelope of a reply, or "" when it is a proper JSON-RPC 2.0 response."""
    if reply.get("jsonrpc") != "2.0":
        return f"jsonrpc is {reply.get('jsonrpc')!r}"
    if type(reply.get("id")) is not rpc_id_type:
        return f"id {reply.get('id')!r} is not echoed as {rpc_id_type.__name__}"
    if ("result" in reply) == ("error" in reply):
        return "a response has exactly one of result and error"
    if "error" in reply:
        error = reply["error"]
        if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
            return f"error needs an integer code and a string message: {error!r}"
        if "data" not in error:
            return f"error without data member: {error!r}"
    return ""


def run_client(r: redis.Redis, prefix: str) -> int:
    client = WireClient(r, prefix)
    results: list[bool] = []

    def attempt(name: str, check) -> None:
        try:
            problem = check()
        except Exception as exc:  # a crash in one check is that check's failure
            problem = f"{type(exc).__name__}: {exc}"
        results.append(report(not problem, name, problem or ""))

    def add() -> str:
        reply = client.call("arith.add", {"a": 2, "b": 3})
        return check_reply_shape(reply) or ("" if reply.get("result") == {"sum": 5} else f"got {reply!r}")

    def divide_by_zero() -> str:
        reply = client.call("arith.divide", {"a": 7, "b": 0})
        expected = {"code": -32000, "message": "division by zero", "data": {"a": 7}}
        return check_reply_shape(reply) or ("" if reply.get("error") == expected else f"got {reply!r}")

    def unknown_method() -> str:
        reply = client.call("arith.nope", {})
        return check_reply_shape(reply) or ("" if reply.get("error", {}).get("code") == -32601 else f"got {reply!r}")

    def invalid_params() -> str:
        reply = client.call("arith.add", {"a": "x", "b": 1})
        error = reply.get("error") or {}
        fields = [item.get("field") for item in (error.get("data") or {}).get("errors", [])]
        return check_reply_shape(reply) or ("" if error.get("code") == -32602 and "a" in fields else f"got {reply!r}")

    def unknown_field() -> str:
        reply = client.call("arith.add", {"a": 1, "b": 2, "c": 3})
        error = reply.get("error") or {}
        fields = [item.get("field") for item in (error.get("data") or {}).get("errors", [])]
        return check_reply_shape(reply) or ("" if error.get("code") == -32602 and fields == ["c"] else f"got {reply!r}")

    def notification_then_call() -> str:
        # Requests to one service run in arrival order, so arith.audits sees the notification queued before it.
        action = f"from-python \u2713 {uuid.uuid4().hex[:6]}"
        client.notify("arith.audit", {"action": action, "actor": "peer.py"})
        reply = client.call("arith.audits", {})
        if check_reply_shape(reply):
            return check_reply_shape(reply)
        mine = [record for record in (reply.get("result") or {}).get("records") or [] if record.get("action") == action]
        if len(mine) != 1 or mine[0].get("actor") != "peer.py":
            return f"audit record not found once in {reply!r}"
        return ""

    def only_requests_answered() -> str:
        client.read_replies(block_ms=300)  # anything late (a reply to the notification would be a bug)
        if client.replies:
            return f"unexpected replies: {client.replies!r}"
        answered = client.next_id - 1
        if len(client.reply_entries) != answered:
            return f"{len(client.reply_entries)} reply entries for {answered} requests"
        bad_type = [fields for fields in client.reply_entries if fields.get("type", "rpc") != "rpc"]
        return f"reply entries with another type: {bad_type!r}" if bad_type else ""

    attempt("arith.add with an integer id answers {sum: 5}", add)
    attempt("arith.divide by zero answers application error -32000 with data", divide_by_zero)
    attempt("arith.nope answers -32601", unknown_method)
    attempt("arith.add with a='x' answers -32602 naming field a", invalid_params)
    attempt("arith.add with an unknown field c answers -32602 naming field c", unknown_field)
    attempt("arith.audit notification (\\u escapes) is handled before the next request", notification_then_call)
    attempt("one reply per request, none for the notification", only_requests_answered)
    client.close()
    return 0 if all(results) else 1


def run_server(r: redis.Redis, prefix: str) -> int:
    service = "pyecho"
    stream = cmds_stream(prefix, service)
    consumer = f"{service}:{uuid.uuid4()}"
    notes: list[Any] = []
    running = True

    def stop(_signum, _frame) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        r.xgroup_create(stream, service, id="$", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
    print("pyecho ready", flush=True)

    def answer(envelope: dict[str, Any]) -> dict[str, Any] | None:
        rpc_id = envelope.get("id")
        method = str(envelope.get("method", "")).partition(".")[2]
        params = envelope.get("params", {})
        if rpc_id is None:
            if method == "note":
                notes.append(params)
            return None
        if method == "echo":
            return {"jsonrpc": "2.0", "id": rpc_id, "result": params}
        if method == "notes":
            return {"jsonrpc": "2.0", "id": rpc_id, "result": notes}
        if method == "fail":
            error = {"code": -32042, "message": "pyecho failed on purpose", "data": {"got": params}}
            return {"jsonrpc": "2.0", "id": rpc_id, "error": error}
        error = {"code": -32601, "message": "Method not found", "data": None}
        return {"jsonrpc": "2.0", "id": rpc_id, "error": error}

    while running:
        result = r.xreadgroup(service, consumer, {stream: ">"}, count=16, block=1000)
        for _stream, entries in result or []:
            for entry_id, fields in entries:
                reply_to = fields.get("reply-to")
                try:
                    reply = answer(json.loads(fields.get("envelope", "")))
                except ValueError:
                    reply = None  # like the Python peer: malformed entries are acknowledged and dropped
                if reply is not None and reply_to:
                    r.xadd(reply_to, {"type": "rpc", "envelope": json.dumps(reply)}, maxlen=MAXLEN, approximate=True)
                r.xack(stream, service, entry_id)
    print("pyecho stopped", flush=True)
    return 0


def run_ping(r: redis.Redis, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if r.ping():
                return 0
        except redis.ConnectionError:
            pass
        if time.monotonic() > deadline:
            print(f"Redis did not answer PING within {timeout_s} s", file=sys.stderr)
            return 1
        time.sleep(0.05)


def run_cleanup(r: redis.Redis, prefix: str) -> int:
    keys = list(r.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        r.delete(*keys)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["client", "server", "ping", "cleanup"])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    if args.role in ("client", "server", "cleanup") and not args.prefix:
        parser.error("--prefix is required for this role")
    r = redis.Redis.from_url(args.redis_url, decode_responses=True)
    try:
        if args.role == "client":
            return run_client(r, args.prefix)
        if args.role == "server":
            return run_server(r, args.prefix)
        if args.role == "ping":
            return run_ping(r, args.timeout)
        return run_cleanup(r, args.prefix)
    finally:
        r.close()


if __name__ == "__main__":
    sys.exit(main())
