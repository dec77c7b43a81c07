#!/usr/bin/env bash
# Installs the packed package into fresh consumer apps and runs them as their users would:
#   compat/consumers/nest11-cjs  a Nest 11 CommonJS app laid out like the Nest 11 starter (ts-jest in
#                                CommonJS mode, "module": "commonjs", TypeScript 5.7; tsconfig.nodenext.json
#                                holds the later starters' "module": "nodenext" options)
#   compat/consumers/nest12-esm  a Nest 12 ES module app ("type": "module", jest in ESM mode, ts-jest,
#                                TypeScript 6)
# For each: copy the project to a scratch folder outside the repository (so that nothing resolves
# from the repository's own node_modules), `npm ci` from its committed lockfile, `npm install
# --no-save` the tarball of `npm pack` (which builds the package: prepack), check that the lockfile
# is untouched, type-check with the app's own tsc, run its unit tests and its e2e test (which starts
# its own redis-server on a free port), then build the app with tsc and run it in plain Node
# against a redis-server this script starts on a free port (and stops by pid), calling its HTTP API;
# last, run the ops CLI through npm's bin link (`npx nestjs-clamator --help`, then `inspect --json`
# against that redis-server and the app's key prefix: the JSON must list the service it served).
#
# Usage: scripts/check-consumers.sh [nest11-cjs|nest12-esm]...   (default: both)
# KEEP_CONSUMERS=1 keeps the scratch folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export npm_config_progress=false npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

CONSUMERS=("$@")
((${#CONSUMERS[@]})) || CONSUMERS=(nest11-cjs nest12-esm)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/clamator-consumers.XXXXXX")"
REDIS_PID=""
APP_PID=""
TIMINGS=()

stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 10 s; only the given pid.
  local pid=$1 waited=0
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  stop_pid "$APP_PID"
  stop_pid "$REDIS_PID"
  if [[ ${KEEP_CONSUMERS:-} == 1 ]]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  if ((${#TIMINGS[@]})); then
    echo "---- check-consumers timings"
    printf '  %s\n' "${TIMINGS[@]}"
  fi
  exit "$rc"
}
trap cleanup EXIT

free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# timed LABEL COMMAND...: runs a command and records how long it took.
timed() {
  local label=$1 started=$SECONDS
  shift
  echo "-- $label"
  "$@"
  TIMINGS+=("$label: $((SECONDS - started))s")
}

start_redis() {
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --protected-mode yes \
      >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
      if grep -qi 'ready to accept connections' "$WORK/redis.log"; then
        REDIS_URL="redis://127.0.0.1:$port"
        echo "redis-server pid $REDIS_PID on $REDIS_URL (started by this script)"
        return 0
      fi
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.1
    done
    stop_pid "$REDIS_PID"
    REDIS_PID=""
    echo "redis-server did not start on port $port (attempt $attempt):" >&2
    tail -n 5 "$WORK/redis.log" >&2
  done
  return 1
}

pack() {
  local out
  out=$(npm pack --json --pack-destination "$WORK" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[0].filename));')
  TARBALL="$WORK/$out"
  echo "packed $TARBALL"
}

# The key prefix of the app's run in plain Node, which the ops CLI check inspects afterwards.
smoke_prefix() {
  echo "smoke-$1-$$"
}

# Plain Node runs the app built by tsc: the production path (for the CommonJS app, require() of the
# package resolves "module-sync", the ES module build).
smoke() {
  local dir=$1 name=$2 port main
  port=$(free_port)
  main="$dir/dist/main.js"
  [[ -f $main ]] || { echo "$name: tsc emitted no dist/main.js" >&2; return 1; }
  (cd "$dir" && exec env REDIS_URL="$REDIS_URL" CLAMATOR_KEY_PREFIX="$(smoke_prefix "$name")" PORT="$port" node dist/main.js) \
    >"$WORK/$name-app.log" 2>&1 &
  APP_PID=$!
  local rc=0
  node - "http://127.0.0.1:$port" "$dir" <<'EOF' || rc=$?
const [base, dir] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function get(path) {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}
(async () => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(base + '/add?a=0&b=0');
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the app did not answer on ${base} within 30 s`);
      await sleep(200);
    }
  }
  const add = await get('/add?a=2&b=3');
  if (add.status !== 200 || add.body.sum !== 5) throw new Error(`GET /add: ${JSON.stringify(add)}`);
  console.log('  ok   GET /add?a=2&b=3 -> 200', JSON.stringify(add.body));
  const divide = await get('/divide?a=1&b=0');
  if (divide.status !== 400 || divide.body.message !== 'division by zero (-32000)') {
    throw new Error(`GET /divide (the controller's instanceof ClamatorRpcError): ${JSON.stringify(divide)}`);
  }
  console.log('  ok   GET /divide?a=1&b=0 -> 400', JSON.stringify(divide.body.message), '(instanceof ClamatorRpcError held in the app)');
  const { createRequire } = await import('node:module');
  const resolved = createRequire(`${dir}/dist/main.js`).resolve('nestjs-clamator');
  if (!/\/nestjs-clamator\/dist\/esm\/index\.js$/.test(resolved)) throw new Error(`plain Node resolved ${resolved}`);
  console.log('  ok   plain Node resolves nestjs-clamator to dist/esm/index.js for this app');
})().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
EOF
  stop_pid "$APP_PID"
  APP_PID=""
  if ((rc != 0)); then
    echo "$name: the app's log:" >&2
    tail -n 40 "$WORK/$name-app.log" >&2
    return "$rc"
  fi
}

build_and_smoke() {
  (cd "$1" && npm run -s build)
  smoke "$1" "$2"
}

# The ops CLI as users run it, from the consumer's folder through npm's bin link: --help, then
# inspect --json against the Redis and key prefix the app's plain Node run used, whose command
# stream and consumer group for "arith" it left behind. The link is checked first, so that npx runs
# the installed package and never looks for one in a registry.
cli_check() {
  local dir=$1 name=$2 prefix out
  prefix=$(smoke_prefix "$name")
  [[ -x $dir/node_modules/.bin/nestjs-clamator ]] || { echo "$name: npm linked no node_modules/.bin/nestjs-clamator" >&2; return 1; }
  echo "  ok   npm linked node_modules/.bin/nestjs-clamator -> $(readlink "$dir/node_modules/.bin/nestjs-clamator")"
  out=$(cd "$dir" && timeout 60 npx nestjs-clamator --help) || { echo "$name: npx nestjs-clamator --help failed" >&2; return 1; }
  [[ $out == "Usage: nestjs-clamator "* ]] || { echo "$name: npx nestjs-clamator --help printed: $out" >&2; return 1; }
  echo "  ok   npx nestjs-clamator --help prints the usage"
  out=$(cd "$dir" && timeout 60 npx nestjs-clamator inspect --redis-url "$REDIS_URL" --key-prefix "$prefix" --json) ||
    { echo "$name: npx nestjs-clamator inspect failed: $out" >&2; return 1; }
  node - "$prefix" "$out" <<'NODE'
const [prefix, out] = process.argv.slice(2);
const report = JSON.parse(out);
const arith = report.services.find((service) => service.service === 'arith');
if (report.keyPrefix !== prefix || !arith || arith.commandStream !== `${prefix}:cmds:arith` || !arith.groups.some((group) => group.name === 'arith')) {
  throw new Error(`inspect --json does not list the service arith under ${prefix}: ${out}`);
}
console.log(`  ok   npx nestjs-clamator inspect --json lists ${arith.commandStream} (length ${arith.length}, groups ${arith.groups.map((g) => g.name).join(', ')})`);
NODE
}

check_consumer() {
  local name=$1
  local source="$ROOT/compat/consumers/$name"
  local dir="$WORK/$name"
  [[ -f $source/package.json && -f $source/package-lock.json ]] || { echo "$source lacks package.json or package-lock.json" >&2; return 1; }
  echo
  echo "==== consumer $name"
  mkdir -p "$dir"
  tar -C "$source" --exclude=node_modules --exclude=dist -cf - . | tar -C "$dir" -xf -

  timed "$name: npm ci" timeout 5m npm ci --prefix "$dir" --no-audit --no-fund
  timed "$name: npm install --no-save <tarball>" timeout 3m npm install --prefix "$dir" --no-save --no-audit --no-fund "$TARBALL"
  cmp -s "$source/package-lock.json" "$dir/package-lock.json" ||
    { echo "$name: npm changed package-lock.json (out of date with package.json?)" >&2; diff "$source/package-lock.json" "$dir/package-lock.json" | head -n 20 >&2; return 1; }
  cmp -s "$source/package.json" "$dir/package.json" || { echo "$name: npm changed package.json" >&2; return 1; }
  local installed
  installed=$(node -p 'require(process.argv[1]).version' "$dir/node_modules/nestjs-clamator/package.json")
  echo "installed nestjs-clamator $installed from the tarball; lockfile and package.json untouched"
  echo "typescript $(cd "$dir" && ./node_modules/.bin/tsc -v), jest $(cd "$dir" && ./node_modules/.bin/jest --version), @nestjs/core $(node -p 'require(process.argv[1]).version' "$dir/node_modules/@nestjs/core/package.json")"

  timed "$name: typecheck" bash -c 'cd "$1" && npm run -s typecheck' _ "$dir"
  timed "$name: unit tests (npm test)" timeout 3m bash -c 'cd "$1" && npm test --silent' _ "$dir"
  timed "$name: e2e test (npm run test:e2e)" timeout 3m bash -c 'cd "$1" && npm run -s test:e2e' _ "$dir"
  timed "$name: tsc build, run in plain Node" build_and_smoke "$dir" "$name"
  timed "$name: npx nestjs-clamator (ops CLI)" cli_check "$dir" "$name"
}

echo "==== pack (prepack builds the package)"
timed "npm pack" pack
start_redis
for consumer in "${CONSUMERS[@]}"; do
  check_consumer "$consumer"
done
echo
echo "check-consumers: ${CONSUMERS[*]} passed"
