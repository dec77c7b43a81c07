import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient, ClamatorRpcError, ClamatorServer, ClamatorTimeoutError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { pendingCount } from './fault-helpers.js';

let sleepsFinished = 0;

@Controller()
class LimitsController {
  @MessagePattern('limits.echo')
  echo(@Payload() params: Record<string, unknown>) {
    return params;
  }

  @MessagePattern('limits.sleep')
  async sleep(@Payload() params: { ms: number }) {
    await delay(params.ms);
    sleepsFinished += 1;
    return { slept: params.ms };
  }
}

/** The private state of a server that must be empty once nothing is in flight. */
interface ServerInternals {
  consumers: Array<{ queue: unknown[]; held: Map<string, number>; load: number }>;
}

/** Sizes of the maps, sets and arrays an object holds directly, by field name. */
function containerSizes(object: object): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [name, value] of Object.entries(object)) {
    if (value instanceof Map || value instanceof Set) sizes[name] = value.size;
    else if (Array.isArray(value)) sizes[name] = value.length;
  }
  return sizes;
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('server limits', () => {
  const connections = new TestConnections();
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;

  async function start(options: Partial<ConstructorParameters<typeof ClamatorServer>[0]>): Promise<{ keyPrefix: string; server: ClamatorServer; caller: ClamatorClient }> {
    const keyPrefix = uniquePrefix('fault-limits');
    const started = await startMicroservice([LimitsController], { keyPrefix, redisUrl: redisUrl(), ...options });
    app = started.app;
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    return { keyPrefix, server: started.server, caller: client };
  }

  afterEach(async () => {
    await client?.close();
    await app?.close();
    app = client = undefined;
  });
  afterAll(() => connections.closeAll());

  it('a handler outliving handlerTimeoutMs gets its caller -32603 "handler timeout", its entry acknowledged and no second reply', async () => {
    const { keyPrefix, caller } = await start({ handlerTimeoutMs: 200 });
    sleepsFinished = 0;

    const error = await caller.call('limits', 'sleep', { ms: 1000 }, { timeoutMs: 10_000 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error).toMatchObject({ code: -32603, message: 'Internal error', data: { reason: 'handler timeout', timeoutMs: 200 } });
    const probe = connections.open();
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'limits')) === 0, 5000, 'the entry acknowledged');
    await waitFor(() => sleepsFinished === 1, 5000, 'the handler to finish on its own');
    await delay(100);
    expect(await probe.xlen(caller.replyStream)).toBe(1);
    await expect(caller.call('limits', 'echo', { still: 'serving' })).resolves.toEqual({ still: 'serving' });
  });

  it('an envelope over maxEnvelopeBytes is refused with -32600, with its id when it can be found, and acknowledged', async () => {
    const { keyPrefix, caller } = await start({ maxEnvelopeBytes: 1024 });
    const probe = connections.open();
    const reason = /^envelope of \d+ bytes exceeds maxEnvelopeBytes \(1024\)$/;

    // The client writes the id last: found although the envelope is not parsed.
    const error = await caller.call('limits', 'echo', { pad: 'x'.repeat(2000) }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error).toMatchObject({ code: -32600, message: 'Invalid Request', data: { reason: expect.stringMatching(reason) } });
    await expect(caller.call('limits', 'echo', { pad: 'x'.repeat(900) })).resolves.toEqual({ pad: 'x'.repeat(900) });

    // An id buried in the middle of an oversized envelope cannot be found: the reply says `id: null`.
    const replyTo = `${keyPrefix}:replies:raw`;
    const pad = 'y'.repeat(700);
    const buried = `{"jsonrpc":"2.0","method":"limits.echo","params":{"a":"${pad}"},"id":"raw-1","extra":"${pad}"}`;
    await probe.xadd(`${keyPrefix}:cmds:limits`, '*', 'type', 'rpc', 'envelope', buried, 'reply-to', replyTo);
    await waitFor(async () => (await probe.xlen(replyTo)) === 1, 5000, 'the reply to the raw request');
    const [[, fields]] = (await probe.xrange(replyTo, '-', '+')) as [string, string[]][];
    const reply = JSON.parse(fields[fields.indexOf('envelope') + 1]) as Record<string, unknown>;
    expect(reply).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request', data: { reason: expect.stringMatching(reason) } } });
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'limits')) === 0, 5000, 'every entry acknowledged');
  });

  it('after 5000 calls, a tenth of them timed out, nothing is left pending and no call state or timer lingers', async () => {
    const { keyPrefix, server, caller } = await start({ concurrency: 100 });
    sleepsFinished = 0;
    await caller.call('limits', 'echo', { warm: true });
    const timeoutsBefore = activeTimeouts();

    const total = 5000;
    const outcomes = { ok: 0, timedOut: 0, other: 0 };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < total) {
        const n = next++;
        // Every tenth call waits 50 ms for a handler of 200 ms: it times out and its reply comes late.
        const call = n % 10 === 0
          ? caller.call('limits', 'sleep', { ms: 200 }, { timeoutMs: 50 })
          : caller.call('limits', 'echo', { n }).then((result) => {
              if ((result as { n: number }).n !== n) throw new Error(`wrong answer to call ${n}`);
            });
        await call.then(
          () => (outcomes.ok += 1),
          (error: unknown) => (error instanceof ClamatorTimeoutError ? (outcomes.timedOut += 1) : (outcomes.other += 1)),
        );
      }
    };
    await Promise.all(Array.from({ length: 200 }, lane));

    expect(outcomes).toEqual({ ok: 4500, timedOut: 500, other: 0 });
    const probe = connections.open();
    await waitFor(() => sleepsFinished === 500, 20_000, 'every late handler to finish');
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'limits')) === 0, 10_000, 'nothing pending');
    const { consumers } = server as unknown as ServerInternals;
    await waitFor(() => consumers.every((c) => c.held.size === 0), 5000, 'the server to release every entry');
    expect(consumers.map((c) => [c.queue.length, c.load])).toEqual([[0, 0]]);
    expect(caller.pendingCount).toBe(0);
    // Whatever the client keeps its pending calls in (by id, by deadline) is empty.
    const sizes = containerSizes((caller as unknown as { pending: object }).pending);
    expect(Object.keys(sizes).length).toBeGreaterThan(0);
    expect(sizes).toEqual(Object.fromEntries(Object.keys(sizes).map((name) => [name, 0])));
    // No timer per call is left: at most the client's one deadline timer, armed until it fires.
    expect(activeTimeouts()).toBeLessThanOrEqual(timeoutsBefore + 1);
  }, 60_000);
});
