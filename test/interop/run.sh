#!/usr/bin/env bash
# Cross-language check: a peer that knows only the wire (test/interop/peer.py, redis-py) and the
# Nest transport call each other through one Redis.
#   (a) peer.py as a client  -> the Nest arith sample (sample/arith/main.ts)
#   (b) the Nest ClamatorClient (test/interop/nest-client.ts) -> peer.py serving `pyecho`
# Uses $REDIS_URL when set, else starts a redis-server of its own on a free port.
# Prints every check, then one summary line; exits 0 only when every check passed.
# PYTHON selects the interpreter (default /usr/bin/python3, which needs Debian's python3-redis).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="${PYTHON:-/usr/bin/python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/clamator-interop.XXXXXX")"
pids=()
own_redis=""
redis_url="${REDIS_URL:-}"
prefix=""

cleanup() {
  local status=$?
  set +e
  # Services first (they may still write to Redis), our redis-server last.
  local pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[i]}"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  if [[ -z "$own_redis" && -n "$prefix" && -n "$redis_url" ]]; then
    "$python" test/interop/peer.py cleanup --redis-url "$redis_url" --prefix "$prefix" 2>/dev/null
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail_setup() {
  echo "interop: setup failed: $1" >&2
  for log in "$work"/*.log; do
    [[ -f "$log" ]] || continue
    echo "----- $(basename "$log")" >&2
    tail -n 40 "$log" >&2
  done
  exit 1
}

# Waits until $1 (a log file) has a line matching $2, while process $3 is alive, for up to 60 s.
wait_for_line() {
  local file="$1" pattern="$2" pid="$3"
  for _ in $(seq 1 600); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || fail_setup "$(basename "$file" .log) exited before printing \"$pattern\""
    sleep 0.1
  done
  fail_setup "$(basename "$file" .log) did not print \"$pattern\" within 60 s"
}

"$python" -c 'import redis' 2>/dev/null ||
  fail_setup "$python cannot import redis (Debian: apt-get install python3-redis, or set PYTHON)"

if [[ -z "$redis_url" ]]; then
  port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
  pids+=("$!")
  own_redis="$!"
  redis_url="redis://127.0.0.1:$port"
fi
"$python" test/interop/peer.py ping --redis-url "$redis_url" --timeout 10 || fail_setup "no Redis answers at $redis_url"

prefix="clamator-interop:$("$python" -c 'import uuid; print(uuid.uuid4().hex[:8])')"
export REDIS_URL="$redis_url" CLAMATOR_PREFIX="$prefix" NO_COLOR=1

node --import ./scripts/register-ts.mjs sample/arith/main.ts >"$work/arith.log" 2>&1 &
pids+=("$!")
wait_for_line "$work/arith.log" "Arith microservice listening" "$!"

"$python" -u test/interop/peer.py server --redis-url "$redis_url" --prefix "$prefix" >"$work/pyecho.log" 2>&1 &
pids+=("$!")
wait_for_line "$work/pyecho.log" "pyecho ready" "$!"

passed=0
failed=0
# Runs one checker; counts its PASS/FAIL lines. A checker that fails without a FAIL line counts as one failure.
run_checker() {
  local name="$1"
  shift
  local status=0
  "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
  grep -E '^(PASS|FAIL) ' "$work/$name.out" || true
  local ok bad
  ok="$(grep -c '^PASS ' "$work/$name.out" || true)"
  bad="$(grep -c '^FAIL ' "$work/$name.out" || true)"
  if [[ "$status" -ne 0 && "$bad" -eq 0 ]]; then
    echo "FAIL $name: exited with status $status"
    sed 's/^/    /' "$work/$name.err" | tail -n 20
    bad=1
  elif [[ "$status" -eq 0 && "$ok" -eq 0 ]]; then
    echo "FAIL $name: ran no checks"
    bad=1
  fi
  passed=$((passed + ok))
  failed=$((failed + bad))
}

run_checker py-client "$python" test/interop/peer.py client --redis-url "$redis_url" --prefix "$prefix"
run_checker nest-client node --import ./scripts/register-ts.mjs test/interop/nest-client.ts

if [[ "$failed" -ne 0 ]]; then
  for log in arith pyecho; do
    echo "----- $log.log (last 30 lines)"
    tail -n 30 "$work/$log.log"
  done
fi
echo "interop: $passed passed, $failed failed"
[[ "$failed" -eq 0 ]]
