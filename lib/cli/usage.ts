/** The program name, as npm's `bin` installs it. */
export const PROGRAM = 'nestjs-clamator';

/** Defaults of the flags that have one (other than `--redis-url`, which reads the environment). */
export const FLAG_DEFAULTS = {
  timeoutMs: 5_000,
  count: 50,
  idleMs: 3_600_000,
} as const;

/** What `--help` prints, and what follows a usage error. */
export const USAGE = `Usage: ${PROGRAM} <command> --key-prefix PREFIX [options]
       ${PROGRAM} codegen --contracts PATH --out-py DIR [--out-json-schema DIR]

Inspects and repairs the Redis streams of nestjs-clamator (and clamator) services under one key prefix,
and generates Python and JSON Schema from contracts.

Commands:
  inspect               every service: stream length, groups (its own and subscriptions') with
                        their consumers and idle times, pending entries and the oldest one's age,
                        lag, dead letters; reply streams with their length and TTL
  dead-letters SERVICE  a service's dead letters: id, original entry id, method, deliveries, time, reason
  replay SERVICE        puts dead letters (all, or those given with --id) back on the service's
                        command stream as new entries, delivered again; each leaves the dead-letter
                        stream once its copy is stored
  cleanup               removes consumers idle longer than --idle-ms that own nothing pending, and
                        reply streams without a TTL that got no reply for that long
  codegen               loads the contracts exported by PATH (a .ts or .js module, or a folder of
                        them) and writes <service>.py for clamator-over-redis (pydantic models,
                        client, abstract service, METHODS, contract) and JSON Schemas (2020-12)

Options:
  --key-prefix PREFIX   the services' keyPrefix (required, but for codegen)
  --redis-url URL       redis://, rediss:// or unix:// (default: $REDIS_URL, else redis://localhost:6379)
  --cluster NODES       a Redis Cluster instead: startup nodes HOST:PORT[,HOST:PORT...]; every
                        master's keys are scanned
  --json                print one JSON document on stdout instead of tables
  --timeout-ms MS       how long to wait for Redis to connect, and for each command (default ${FLAG_DEFAULTS.timeoutMs})
  --count N             dead-letters: how many to list, oldest first (default ${FLAG_DEFAULTS.count})
  --id ID               replay: a dead-letter id (repeat the flag for several; default: all)
  --idle-ms MS          cleanup: the idle bound (default ${FLAG_DEFAULTS.idleMs}, 1 h)
  --dry-run             cleanup: list what would be removed, remove nothing
  --contracts PATH      codegen: a contract module or a folder of them (TypeScript needs the
                        project's "typescript" package)
  --out-py DIR          codegen: where <service>.py goes
  --out-json-schema DIR codegen: where <service>.<method>.<params|result>.schema.json go
  -h, --help            print this help

Exit codes: 0 done; 1 failure (Redis unreachable, a command failed, a dead letter not replayed,
a contract that cannot be loaded or mapped);
2 usage (unknown command or flag, missing or invalid value).
`;
