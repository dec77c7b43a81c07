import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClamatorClient, ClamatorTransportError } from '../../lib/index.js';
import { createMicroservice, startMicroservice } from '../utils/nest-apps.js';
import { OwnRedis, uniquePrefix, waitFor } from '../utils/redis.js';
import { freePort } from '../utils/redis-process.mjs';
import { captureLogs, describeSettled, rejectionOf, settleWithin, valueOf } from './fault-helpers.js';

/** The connectTimeoutMs these tests give, and how long past it anything may take to settle (a noisy machine). */
const CONNECT_TIMEOUT_MS = 1500;
const LIMIT_MS = CONNECT_TIMEOUT_MS + 5000;
const UNREACHABLE = /Could not reach Redis at .* within 1500 ms/;
const PASSWORD = 's3cret-pw';

@Controller()
class ReachController {
  @MessagePattern('reach.echo')
  echo(@Payload() params: Record<string, unknown>) {
    return params;
  }
}

/** Closes what a test opened, failing the test when the close does not settle. */
async function release(close: () => Promise<void>): Promise<void> {
  const closed = await settleWithin(close(), 5000);
  if (closed.state === 'hung') throw new Error('close() did not settle in cleanup');
}

describe('a client that never reached Redis', () => {
  const clients: ClamatorClient[] = [];
  const redises: OwnRedis[] = [];
  const apps: INestMicroservice[] = [];

  function client(redisUrl: string, keyPrefix = uniquePrefix('fault-unreachable')): ClamatorClient {
    const created = new ClamatorClient({ keyPrefix, redisUrl, connectTimeoutMs: CONNECT_TIMEOUT_MS });
    clients.push(created);
    return created;
  }

  afterEach(async () => {
    try {
      await Promise.all(clients.splice(0).map((c) => release(() => c.close())));
      await Promise.all(apps.splice(0).map((app) => release(() => app.close())));
    } finally {
      await Promise.all(redises.splice(0).map((redis) => redis.kill()));
    }
  }, 30_000);

  it('connect() to a port nobody listens on rejects with ClamatorTransportError naming the address and ECONNREFUSED, within connectTimeoutMs', async () => {
    const port = await freePort();
    const caller = client(`redis://127.0.0.1:${port}`);

    const error = rejectionOf(await settleWithin(caller.connect(), LIMIT_MS));

    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect(error.message).toMatch(UNREACHABLE);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
  }, 20_000);

  it('connect() to a host name that does not resolve rejects with ClamatorTransportError naming the host and the lookup failure, within connectTimeoutMs', async () => {
    const caller = client('redis://no-such-host.invalid:6379');

    const error = rejectionOf(await settleWithin(caller.connect(), LIMIT_MS));

    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect(error.message).toMatch(UNREACHABLE);
    expect(error.message).toContain('no-such-host.invalid');
    // ENOTFOUND where DNS answers "no such name"; EAI_AGAIN where no resolver is reachable.
    expect(error.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
  }, 20_000);

  it('connect() with TLS (rediss://) to a plain-text Redis rejects with ClamatorTransportError within connectTimeoutMs', async () => {
    const redis = await OwnRedis.start();
    redises.push(redis);
    const caller = client(`rediss://127.0.0.1:${redis.port}`);

    const error = rejectionOf(await settleWithin(caller.connect(), LIMIT_MS));

    expect(error).toBeInstanceOf(ClamatorTransportError);
  }, 20_000);

  it('call() rejects with ClamatorTransportError "nothing was sent" within connectTimeoutMs, long before its own 60 s timeout', async () => {
    const caller = client(`redis://127.0.0.1:${await freePort()}`);

    const error = rejectionOf(await settleWithin(caller.call('svc', 'm', {}, { timeoutMs: 60_000 }), LIMIT_MS));

    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect(error.message).toMatch(/nothing was sent/);
  }, 20_000);

  it('notify() rejects with ClamatorTransportError "nothing was sent" within connectTimeoutMs', async () => {
    const caller = client(`redis://127.0.0.1:${await freePort()}`);

    const error = rejectionOf(await settleWithin(caller.notify('svc', 'm', {}), LIMIT_MS));

    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect(error.message).toMatch(/nothing was sent/);
  }, 20_000);

  it('emit() errors with ClamatorTransportError "nothing was sent" within connectTimeoutMs', async () => {
    const caller = client(`redis://127.0.0.1:${await freePort()}`);

    const error = rejectionOf(await settleWithin(lastValueFrom(caller.emit('svc.m', {})), LIMIT_MS));

    expect(error).toBeInstanceOf(ClamatorTransportError);
    expect(error.message).toMatch(/nothing was sent/);
  }, 20_000);

  it('status never reports connected while Redis has never answered', async () => {
    const caller = client(`redis://127.0.0.1:${await freePort()}`);
    const statuses: string[] = [];
    const subscription = caller.status.subscribe((status) => statuses.push(status));
    try {
      await settleWithin(caller.call('svc', 'm', {}, { timeoutMs: 60_000 }), LIMIT_MS);
      await settleWithin(caller.connect(), LIMIT_MS);
    } finally {
      subscription.unsubscribe();
    }

    expect(statuses).not.toContain('connected');
  }, 30_000);

  it('a password in the URL appears in no error and no log; the address shows *** in its place', async () => {
    const port = await freePort();
    const logs = captureLogs();
    let texts: string[];
    let connectMessage: string;
    try {
      const caller = client(`redis://user:${PASSWORD}@127.0.0.1:${port}`);
      const connectError = rejectionOf(await settleWithin(caller.connect(), LIMIT_MS));
      const callError = rejectionOf(await settleWithin(caller.call('svc', 'm', {}, { timeoutMs: 60_000 }), LIMIT_MS));
      connectMessage = connectError.message;
      texts = [connectError, callError].flatMap((error) => [error.message, String(error.stack), String(error.cause)]);
      texts.push(...logs.texts());
    } finally {
      logs.restore();
    }

    expect(texts.filter((text) => text.includes(PASSWORD))).toEqual([]);
    expect(connectMessage).toMatch(UNREACHABLE);
    expect(connectMessage).toContain(`***@127.0.0.1:${port}`);
  }, 30_000);

  it('a client whose connect() failed connects once Redis is up: its next call is answered', async () => {
    const redis = await OwnRedis.reserve();
    redises.push(redis);
    const keyPrefix = uniquePrefix('fault-unreachable');
    const caller = client(redis.url, keyPrefix);
    expect(rejectionOf(await settleWithin(caller.connect(), LIMIT_MS))).toBeInstanceOf(ClamatorTransportError);

    await redis.restart();
    const { app } = await startMicroservice([ReachController], { keyPrefix, redisUrl: redis.url });
    apps.push(app);

    expect(valueOf(await settleWithin(caller.call('reach', 'echo', { n: 1 }, { timeoutMs: 10_000 }), 15_000))).toEqual({ n: 1 });
  }, 40_000);
});

describe('a server that cannot reach Redis', () => {
  let redis: OwnRedis | undefined;
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;

  afterEach(async () => {
    try {
      if (client) await release(() => (client as ClamatorClient).close());
      if (app) await release(() => (app as INestMicroservice).close());
    } finally {
      await redis?.kill();
      redis = app = client = undefined;
    }
  }, 30_000);

  it('listen() logs the address and the cause at once, without the password, then rejects with ClamatorTransportError after connectTimeoutMs', async () => {
    const port = await freePort();
    const logs = captureLogs();
    try {
      ({ app } = await createMicroservice([ReachController], {
        keyPrefix: uniquePrefix('fault-unreachable'),
        redisUrl: `redis://user:${PASSWORD}@127.0.0.1:${port}`,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      }));
      await app.init();
      const started = Date.now();
      const listening = settleWithin(app.listen(), 10_000);
      const naming = () => logs.entries.find((entry) => entry.level === 'error' && entry.text.includes(`127.0.0.1:${port}`));
      await waitFor(() => naming() !== undefined, 3000, 'an error log naming the address').catch(() => undefined);
      const settled = await listening;

      const logged = naming();
      if (!logged) {
        throw new Error(
          `no error log naming 127.0.0.1:${port} within 3 s (listen() ${describeSettled(settled)}); errors logged: ${JSON.stringify(logs.texts('error'))}`,
        );
      }
      expect(logged.text).toMatch(/ECONNREFUSED/);
      // At once: on the first failed attempt, not when connectTimeoutMs runs out.
      expect(logged.at - started).toBeLessThan(1200);
      expect(logs.texts().filter((text) => text.includes(PASSWORD))).toEqual([]);

      const error = rejectionOf(settled);
      expect(error).toBeInstanceOf(ClamatorTransportError);
      expect(error.message).toMatch(UNREACHABLE);
      expect(error.message).not.toContain(PASSWORD);
      // It kept trying for about connectTimeoutMs rather than giving up at the first refusal.
      expect(settled.ms).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 500);
    } finally {
      logs.restore();
    }
  }, 30_000);

  it('listen() waits for a Redis that comes up within connectTimeoutMs, then serves calls', async () => {
    redis = await OwnRedis.reserve();
    const keyPrefix = uniquePrefix('fault-late-redis');
    ({ app } = await createMicroservice([ReachController], { keyPrefix, redisUrl: redis.url, connectTimeoutMs: 10_000 }));
    await app.init();
    const listening = settleWithin(app.listen(), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.restart();

    const settled = await listening;
    expect(describeSettled(settled)).toMatch(/^resolved/);
    client = new ClamatorClient({ keyPrefix, redisUrl: redis.url });
    expect(valueOf(await settleWithin(client.call('reach', 'echo', { up: true }, { timeoutMs: 10_000 }), 15_000))).toEqual({ up: true });
  }, 40_000);
});
