import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Inject, type INestApplication, Query } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import request from 'supertest';
import {
  CLAMATOR_STREAMS_OPTIONS,
  ClamatorClient,
  ClamatorHealthIndicator,
  ClamatorModule,
  ClamatorServer,
  ClamatorStreamsService,
  type ClamatorStreamsOptions,
} from '../../lib/index.js';
import { OwnRedis, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

/**
 * The health indicator inside a Nest app with TerminusModule, over HTTP, on a redis-server of the
 * test's own that it freezes, kills and restarts. One app serves the service `orders` (with a
 * subscription `billing` on it) and checks its server, a client that has been used, a client that
 * never was, and a streams service of its own.
 */
const TIMEOUT_MS = 1000;
/** A check must answer within its timeoutMs plus this (HTTP, a busy machine). */
const MARGIN_MS = 1500;
const SERVER = Symbol('health-spec:server');

/** Holds `orders.hold` notifications until released, so that entries stay pending. */
class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  close(): void {
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  get passed(): Promise<void> {
    return this.opened;
  }
}
const gate = new Gate();

@Controller()
class OrdersController {
  @MessagePattern('orders.add')
  add(@Payload() { a, b }: { a: number; b: number }) {
    return a + b;
  }

  @EventPattern('orders.hold')
  async hold(@Payload() _order: unknown) {
    await gate.passed;
  }

  @EventPattern('orders.shipped', { subscription: 'billing' })
  shipped(@Payload() _order: unknown) {
    return undefined;
  }
}

const optionalNumber = (value: string | undefined) => (value === undefined ? undefined : Number(value));

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly clamator: ClamatorHealthIndicator,
    @Inject(SERVER) private readonly server: ClamatorServer,
    @Inject('ORDERS') private readonly client: ClamatorClient,
    @Inject('IDLE') private readonly idle: ClamatorClient,
    private readonly streams: ClamatorStreamsService,
  ) {}

  @Get('server')
  @HealthCheck()
  checkServer(@Query('maxPending') maxPending?: string, @Query('maxLag') maxLag?: string) {
    return this.health.check([
      () =>
        this.clamator.isHealthy('clamator', {
          connection: this.server,
          timeoutMs: TIMEOUT_MS,
          maxPending: optionalNumber(maxPending),
          maxLag: optionalNumber(maxLag),
        }),
    ]);
  }

  @Get('client')
  @HealthCheck()
  checkClient() {
    return this.health.check([() => this.clamator.isHealthy('clamator', { connection: this.client, timeoutMs: TIMEOUT_MS })]);
  }

  @Get('idle')
  @HealthCheck()
  checkIdle() {
    return this.health.check([() => this.clamator.isHealthy('clamator', { connection: this.idle })]);
  }

  @Get('streams')
  @HealthCheck()
  checkStreams() {
    return this.health.check([() => this.clamator.isHealthy('clamator', { connection: this.streams, timeoutMs: TIMEOUT_MS })]);
  }

  /** Every kind at once, each under its own key. */
  @Get('all')
  @HealthCheck()
  checkAll() {
    return this.health.check([
      () => this.clamator.isHealthy('server', { connection: this.server, timeoutMs: TIMEOUT_MS }),
      () => this.clamator.isHealthy('client', { connection: this.client, timeoutMs: TIMEOUT_MS }),
      () => this.clamator.isHealthy('idle', { connection: this.idle, timeoutMs: TIMEOUT_MS }),
      () => this.clamator.isHealthy('streams', { connection: this.streams, timeoutMs: TIMEOUT_MS }),
    ]);
  }
}

/** The major of the copy of `name` jest resolves (CLAMATOR_NEST=11 maps Nest's packages, terminus among them, to compat/nest11). */
function resolvedMajor(name: string): number {
  for (let dir = dirname(fileURLToPath(import.meta.resolve(name))); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name && pkg.version) return Number(pkg.version.split('.')[0]);
  }
  throw new Error(`no package.json of ${name}`);
}

type Kind = 'server' | 'client' | 'streams';
const KINDS: Kind[] = ['server', 'client', 'streams'];

describe('ClamatorHealthIndicator in a Nest app with TerminusModule', () => {
  const keyPrefix = uniquePrefix('health');
  const connections = new TestConnections();
  let redis: OwnRedis;
  let admin: Redis;
  let app: INestApplication;
  let server: ClamatorServer;
  let client: ClamatorClient;
  let idle: ClamatorClient;

  /** GET /health/<path>, with how long it took. */
  async function health(path: string): Promise<{ status: number; body: Record<string, any>; elapsedMs: number }> {
    const startedAt = Date.now();
    const response = await request(app.getHttpServer()).get(`/health/${path}`);
    return { status: response.status, body: response.body, elapsedMs: Date.now() - startedAt };
  }

  async function allUp(): Promise<boolean> {
    const statuses = await Promise.all(KINDS.map(async (kind) => (await health(kind)).status));
    return statuses.every((status) => status === 200);
  }

  /** `CLIENT LIST` of the test's Redis, without the test's own admin connection: `id name` per connection. */
  async function clientList(): Promise<string[]> {
    const own = await admin.client('ID');
    const lines = String(await admin.client('LIST')).trim().split('\n');
    return lines
      .map((line) => Object.fromEntries(line.split(' ').map((pair) => pair.split('=', 2) as [string, string])))
      .filter((fields) => fields.id !== String(own))
      .map((fields) => `${fields.id} ${fields.name}`)
      .sort();
  }

  beforeAll(async () => {
    redis = await OwnRedis.start();
    admin = connections.open({}, redis.url);
    server = new ClamatorServer({ keyPrefix, redisUrl: redis.url, concurrency: 1, readCount: 2, shutdownGraceMs: 500 });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule.forRoot({ logger: false }),
        ClamatorModule.register([
          { name: 'ORDERS', keyPrefix, redisUrl: redis.url },
          { name: 'IDLE', keyPrefix, redisUrl: redis.url },
        ]),
      ],
      controllers: [HealthController, OrdersController],
      providers: [
        ClamatorHealthIndicator,
        ClamatorStreamsService,
        { provide: CLAMATOR_STREAMS_OPTIONS, useValue: { keyPrefix, redisUrl: redis.url, connectionName: 'health-streams' } satisfies ClamatorStreamsOptions },
        { provide: SERVER, useValue: server },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
    client = app.get('ORDERS');
    idle = app.get('IDLE');
    await expect(client.call('orders', 'add', { a: 1, b: 2 })).resolves.toBe(3);
  }, 30_000);

  afterAll(async () => {
    redis?.signal('SIGCONT');
    gate.open();
    await app?.close();
    await connections.closeAll();
    await redis?.kill();
  }, 30_000);

  it('runs on the terminus major that goes with the Nest major under test', () => {
    expect(resolvedMajor('@nestjs/terminus')).toBe(resolvedMajor('@nestjs/core'));
  });

  it('is up for a server, a client and a streams service, with the PING time and, for the server, its groups', async () => {
    for (const kind of KINDS) {
      const { status, body } = await health(kind);
      expect({ kind, status }).toEqual({ kind, status: 200 });
      expect(body.status).toBe('ok');
      expect(body.info.clamator).toMatchObject({
        status: 'up', connection: kind, connected: true, state: 'ready', endpoint: redis.url, pingMs: expect.any(Number),
      });
      expect(body.info.clamator.failures).toBeUndefined();
    }
    // The subscription acknowledges the request of beforeAll on its own time: wait for it.
    let groups: Record<string, unknown> = {};
    await waitFor(
      async () => {
        groups = (await health('server')).body.info.clamator.groups;
        return Object.values(groups).every((group) => (group as { pending: number }).pending === 0);
      },
      5000,
      'nothing pending',
    );
    expect(groups).toEqual({
      orders: { service: 'orders', group: 'orders', pending: 0, lag: 0 },
      'orders/subscription:billing': { service: 'orders', group: 'subscription:billing', pending: 0, lag: 0 },
    });
  });

  it('calls a client that was never used idle and up, and leaves it unconnected', async () => {
    const { status, body } = await health('idle');
    expect(status).toBe(200);
    expect(body.info.clamator).toEqual({
      status: 'up', connection: 'client', connected: false, state: 'idle', message: 'idle: holds no connection, connects on its next call',
    });
    expect(idle.streams.openedConnection()).toBeUndefined();
    expect((await clientList()).filter((entry) => entry.includes(idle.options.instanceId))).toEqual([]);
  });

  it('leaves no connection behind: the same connections before and after many checks', async () => {
    await health('all');
    const before = await clientList();
    for (let round = 0; round < 10; round += 1) {
      const checks = await Promise.all([health('all'), ...KINDS.map((kind) => health(kind)), health('idle')]);
      expect(checks.map(({ status }) => status)).toEqual([200, 200, 200, 200, 200]);
    }
    expect(await clientList()).toEqual(before);
    // The streams service has the one connection it opened for its first check, and no other.
    expect(before.filter((entry) => entry.endsWith(' health-streams'))).toHaveLength(1);
  });

  it('is down, naming the service, when a group of the server holds more pending entries, or lags more, than allowed', async () => {
    gate.close();
    try {
      await Promise.all(Array.from({ length: 40 }, () => client.notify('orders', 'hold', {})));
      let groups: Record<string, { pending: number; lag: number | null }> = {};
      await waitFor(
        async () => {
          groups = (await health('server')).body.info.clamator.groups;
          return groups.orders.pending > 1 && (groups.orders.lag ?? 0) > 1;
        },
        5000,
        'entries pending in the group "orders" and entries not yet read',
      );
      const { pending, lag } = groups.orders;

      const overPending = await health('server?maxPending=1');
      expect(overPending.status).toBe(503);
      expect(overPending.body.status).toBe('error');
      expect(overPending.body.error.clamator).toMatchObject({
        status: 'down',
        failures: { orders: expect.stringMatching(/^pending \d+ > maxPending 1$/) },
        message: expect.stringMatching(/^orders: pending \d+ > maxPending 1(;|$)/),
      });
      expect(overPending.body.details.clamator.status).toBe('down');
      // The subscription reads the same entries (and acknowledges them unhandled): it may be named too, never anything else.
      expect(Object.keys(overPending.body.error.clamator.failures)).toEqual(
        expect.arrayContaining(['orders']),
      );
      for (const key of Object.keys(overPending.body.error.clamator.failures)) expect(['orders', 'orders/subscription:billing']).toContain(key);

      const overLag = await health('server?maxLag=1');
      expect(overLag.status).toBe(503);
      expect(overLag.body.error.clamator.failures).toMatchObject({ orders: expect.stringMatching(/^lag \d+ > maxLag 1$/) });

      const within = await health(`server?maxPending=${pending + 100}&maxLag=${(lag ?? 0) + 100}`);
      expect(within.status).toBe(200);
    } finally {
      gate.open();
    }
    await waitFor(async () => (await health('server?maxPending=0&maxLag=0')).status === 200, 10_000, 'the held entries to be handled');
  });

  it('is down within timeoutMs while Redis is frozen (SIGSTOP), naming the timeout, and up again after SIGCONT', async () => {
    redis.signal('SIGSTOP');
    try {
      const checks = await Promise.all([...KINDS.map((kind) => health(kind)), health('idle')]);
      for (const [i, kind] of KINDS.entries()) {
        const { status, body, elapsedMs } = checks[i];
        expect({ kind, status }).toEqual({ kind, status: 503 });
        expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(elapsedMs).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
        expect(body.error.clamator).toMatchObject({
          status: 'down', connection: kind, failures: { redis: 'timeout after 1000 ms' }, message: 'redis: timeout after 1000 ms',
        });
        expect(body.details.clamator.status).toBe('down');
      }
      // The idle client holds nothing that could freeze.
      expect(checks[3].status).toBe(200);
    } finally {
      redis.signal('SIGCONT');
    }
    await waitFor(allUp, 5000, 'every check up again after SIGCONT');
  });

  it('is down at once while Redis is away (killed), naming the connection state, and up again after a restart', async () => {
    await redis.kill();
    await waitFor(
      async () => (await Promise.all(KINDS.map((kind) => health(kind)))).every(({ status }) => status === 503),
      5000,
      'every check down',
    );
    for (const kind of KINDS) {
      const { status, body, elapsedMs } = await health(kind);
      expect({ kind, status }).toEqual({ kind, status: 503 });
      // No waiting for a Redis that is not there: the connection's state says so.
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS);
      expect(body.error.clamator).toMatchObject({ status: 'down', connected: false, failures: { redis: expect.stringMatching(/^connection is \w+$/) } });
    }
    await redis.restart();
    await waitFor(allUp, 20_000, 'every check up again after the restart');
    // Redis came back empty; the server makes its groups again, and the check reports them until then.
    await waitFor(async () => !(await health('server')).body.info.clamator.groups.orders.missing, 10_000, 'the group "orders" made again');
  }, 60_000);

  it('after app.close(): the server is down (closed), the clients idle', async () => {
    const indicator = app.get(ClamatorHealthIndicator);
    await app.close();
    await expect(indicator.isHealthy('s', { connection: server })).resolves.toEqual({
      s: expect.objectContaining({ status: 'down', failures: { server: 'closed' } }),
    });
    for (const closed of [client, idle]) {
      expect((await indicator.isHealthy('c', { connection: closed })).c).toMatchObject({ status: 'up', connected: false, state: 'idle' });
    }
  });
});
