/**
 * The ops CLI (`nestjs-clamator`) as a real child process against a real Redis holding pending
 * entries, lag, a subscription group, dead letters written in the server's exact format, and reply
 * streams with and without a TTL: each command's tables and JSON, exit codes 0, 1 and 2, and a
 * replay that a real ClamatorServer serves to a ClamatorClient still waiting for its answer.
 */
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient, ClamatorContext, ClamatorStreamsService } from '../../lib/index.js';
import { type CliRun, runCli } from '../utils/cli-process.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { allEntries, fieldOf, type RawEntry } from '../utils/raw-peer.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

@Controller()
class CalcController {
  @MessagePattern('calc.double')
  double(@Payload() { n }: { n: number }, @Ctx() ctx: ClamatorContext) {
    return { doubled: n * 2, metadata: ctx.getMetadata() ?? null, deliveries: ctx.getDeliveryCount() };
  }
}

/** Each test runs the CLI (a Node process with the TS loader: seconds each on a loaded machine) up to three times. */
const CLI_TEST_MS = 90_000;

/** Fails with what the CLI printed, so that a wrong exit code explains itself. */
function expectExit(run: CliRun, code: number): void {
  if (run.code !== code) throw new Error(`exit ${run.code} (signal ${run.signal}), expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

function entriesOfRead(reply: unknown): RawEntry[] {
  const [stream] = (reply ?? []) as [string, [string, string[]][]][];
  return (stream?.[1] ?? []).map(([id, fields]) => ({ id, fields }));
}

describe('ops CLI', () => {
  const connections = new TestConnections();
  const keyPrefix = uniquePrefix('cli');
  const target = ['--redis-url', redisUrl(), '--key-prefix', keyPrefix];
  const key = (suffix: string) => `${keyPrefix}:${suffix}`;
  let redis: ReturnType<TestConnections['open']>;
  let streams: ClamatorStreamsService;
  const requests: RawEntry[] = [];
  const deadLetterIds: string[] = [];

  beforeAll(async () => {
    redis = connections.open();
    streams = new ClamatorStreamsService({ keyPrefix, redisUrl: redisUrl() });
    const orders = key('cmds:orders');
    await redis.xgroup('CREATE', orders, 'orders', '0', 'MKSTREAM');
    await redis.xgroup('CREATE', orders, 'subscription:billing', '0');
    for (let i = 1; i <= 5; i += 1) {
      const envelope = JSON.stringify({ jsonrpc: '2.0', method: 'orders.create', params: { i }, id: `r${i}` });
      await redis.xadd(orders, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', key('replies:c1'));
    }
    // Pending: a raw consumer reads two entries and never acknowledges them; lag: three left unread.
    requests.push(...entriesOfRead(await redis.xreadgroup('GROUP', 'orders', 'orders:raw', 'COUNT', 2, 'STREAMS', orders, '>')));
    // The subscription reads one and acknowledges it: nothing pending, four unread.
    const [seen] = entriesOfRead(await redis.xreadgroup('GROUP', 'subscription:billing', 'subscription:billing:w1', 'COUNT', 1, 'STREAMS', orders, '>'));
    await redis.xack(orders, 'subscription:billing', seen.id);
    // A consumer that owns nothing: what cleanup removes once it is idle past the bound.
    await redis.xgroup('CREATECONSUMER', orders, 'orders', 'orders:gone');

    // Dead letters exactly as the server writes them: a request (with metadata) and a notification.
    const request = { id: '1700000000000-0', fields: ['type', 'rpc', 'envelope', JSON.stringify({ jsonrpc: '2.0', method: 'orders.cancel', params: { i: 9 }, id: 'd1' }), 'reply-to', key('replies:c1'), 'metadata', '{"tenant":"t1"}'] };
    const notification = { id: '1700000000001-0', fields: ['type', 'rpc', 'envelope', JSON.stringify({ jsonrpc: '2.0', method: 'orders.audit', params: {} })] };
    deadLetterIds.push(await streams.deadLetter('orders', request, 'delivered 11 times, more than maxDeliveries (10)', 11));
    deadLetterIds.push(await streams.deadLetter('orders', notification, 'subscription "billing": delivered 3 times, more than maxDeliveries (2)', 3));

    // Reply streams: one a server wrote (TTL), an orphan long silent without TTL, a recent one without TTL.
    await redis.xadd(key('replies:live'), '*', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","id":"x","result":1}');
    await redis.pexpire(key('replies:live'), 600_000);
    await redis.xadd(key('replies:orphan'), '1000-0', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","id":"y","result":2}');
    await redis.xadd(key('replies:recent'), '*', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","id":"z","result":3}');
  });

  afterAll(async () => {
    await deleteKeys(redis, keyPrefix);
    await streams.close();
    await connections.closeAll();
  });

  it('inspect prints services, groups, consumers and reply streams as aligned tables', async () => {
    const run = await runCli(['inspect', ...target]);
    expectExit(run, 0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Services under key prefix "${keyPrefix}" (1)`);
    expect(lines[1]).toMatch(/^SERVICE\s+LENGTH\s+GROUPS\s+PENDING\s+DEAD LETTERS$/);
    expect(lines[2]).toMatch(/^orders\s+5\s+2\s+2\s+2$/);
    expect(run.stdout).toMatch(/^orders\s+orders\s+2\s+2\s+\d+(\.\d)?(ms|s)\s+3$/m);
    expect(run.stdout).toMatch(/^orders\s+subscription:billing\s+1\s+0\s+-\s+4$/m);
    expect(run.stdout).toMatch(/^orders\s+orders\s+orders:raw\s+2\s+\S+$/m);
    expect(run.stdout).toMatch(/^orders\s+orders\s+orders:gone\s+0\s+\S+$/m);
    expect(run.stdout).toMatch(new RegExp(`^${key('replies:live')}\\s+1\\s+\\d+m\\d\\ds\\s+\\S+$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${key('replies:orphan')}\\s+1\\s+none\\s+\\d+d\\d\\dh$`, 'm'));
    // Aligned: every row of a table starts its columns where the header's do.
    const header = lines.findIndex((line) => line.startsWith('SERVICE  GROUP  '));
    const lagColumn = lines[header].indexOf('LAG') + 'LAG'.length;
    expect(lines[header + 1].length).toBe(lagColumn);
    expect(lines[header + 2].length).toBe(lagColumn);
  }, CLI_TEST_MS);

  it('inspect --json prints one document with pending, the oldest pending age, lag, consumers, dead letters and TTLs', async () => {
    const run = await runCli(['inspect', ...target, '--json']);
    expectExit(run, 0);
    const report = JSON.parse(run.stdout);
    expect(report.keyPrefix).toBe(keyPrefix);
    expect(report.services).toHaveLength(1);
    const [orders] = report.services;
    expect(orders).toMatchObject({ service: 'orders', commandStream: key('cmds:orders'), length: 5, deadLetterStream: key('dead:orders'), deadLetters: 2 });
    expect(orders.groups.map((g: { name: string; kind: string }) => [g.name, g.kind])).toEqual([['orders', 'service'], ['subscription:billing', 'subscription']]);
    const [own, subscription] = orders.groups;
    expect(own).toMatchObject({ pending: 2, lag: 3, entriesRead: 2, lastDeliveredId: requests[1].id });
    expect(own.oldestPending).toMatchObject({ id: requests[0].id, deliveries: 1 });
    expect(own.oldestPending.ageMs).toBeGreaterThanOrEqual(0);
    expect(own.oldestPending.ageMs).toBeLessThan(120_000);
    expect(own.consumers.map((c: { name: string; pending: number }) => [c.name, c.pending])).toEqual([['orders:gone', 0], ['orders:raw', 2]]);
    expect(typeof own.consumers[0].idleMs).toBe('number');
    expect(subscription).toMatchObject({ pending: 0, oldestPending: null, lag: 4 });
    expect(subscription.consumers).toEqual([expect.objectContaining({ name: 'subscription:billing:w1', pending: 0 })]);
    const replies = Object.fromEntries(report.replyStreams.map((r: { key: string }) => [r.key, r]));
    expect(Object.keys(replies)).toEqual([key('replies:live'), key('replies:orphan'), key('replies:recent')]);
    expect(replies[key('replies:live')].ttlMs).toBeGreaterThan(500_000);
    expect(replies[key('replies:orphan')]).toMatchObject({ length: 1, ttlMs: null });
    expect(replies[key('replies:orphan')].lastReplyAgeMs).toBeGreaterThan(1_000_000_000);
    expect(replies[key('replies:recent')].ttlMs).toBeNull();
  }, CLI_TEST_MS);

  it('dead-letters lists them with id, original entry id, method, deliveries, time and reason', async () => {
    const [human, json] = await Promise.all([
      runCli(['dead-letters', 'orders', ...target]),
      runCli(['dead-letters', 'orders', ...target, '--json', '--count', '1']),
    ]);
    expectExit(human, 0);
    expect(human.stdout).toContain(`Dead letters of "orders" in ${key('dead:orders')}: all 2`);
    expect(human.stdout).toMatch(/^ID\s+ENTRY ID\s+METHOD\s+DELIVERIES\s+DEAD AT\s+REASON$/m);
    expect(human.stdout).toMatch(new RegExp(`^${deadLetterIds[0]}\\s+1700000000000-0\\s+orders\\.cancel\\s+11\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+delivered 11 times, more than maxDeliveries \\(10\\)$`, 'm'));
    expect(human.stdout).toMatch(new RegExp(`^${deadLetterIds[1]}\\s+1700000000001-0\\s+orders\\.audit\\s+3\\s+\\S+\\s+subscription "billing": delivered 3 times`, 'm'));

    expectExit(json, 0);
    const page = JSON.parse(json.stdout);
    expect(page).toMatchObject({ service: 'orders', deadLetterStream: key('dead:orders'), total: 2 });
    expect(page.deadLetters).toHaveLength(1);
    expect(page.deadLetters[0]).toMatchObject({
      id: deadLetterIds[0],
      entryId: '1700000000000-0',
      method: 'orders.cancel',
      deliveries: 11,
      reason: 'delivered 11 times, more than maxDeliveries (10)',
      replyTo: key('replies:c1'),
    });
    expect(new Date(page.deadLetters[0].deadAt).getTime()).toBe(page.deadLetters[0].deadAtMs);
  }, CLI_TEST_MS);

  it('replay --id puts that dead letter back with its original fields only, then removes it; an unknown id exits 1', async () => {
    const [dead] = await allEntries(redis, key('dead:orders'));
    const original = dead.fields.slice(0, dead.fields.indexOf('dead-reason'));
    expect(original).toContain('metadata');

    const run = await runCli(['replay', 'orders', ...target, '--id', deadLetterIds[0], '--json']);
    expectExit(run, 0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ service: 'orders', commandStream: key('cmds:orders'), notFound: [], skipped: [] });
    expect(report.replayed).toEqual([{ deadLetterId: deadLetterIds[0], entryId: expect.any(String), originalEntryId: '1700000000000-0', method: 'orders.cancel' }]);
    const commands = await allEntries(redis, key('cmds:orders'));
    expect(commands[commands.length - 1]).toEqual({ id: report.replayed[0].entryId, fields: original });
    expect((await allEntries(redis, key('dead:orders'))).map((e) => e.id)).toEqual([deadLetterIds[1]]);

    const missing = await runCli(['replay', 'orders', ...target, '--id', '1-1']);
    expectExit(missing, 1);
    expect(missing.stdout).toContain(`Not found in ${key('dead:orders')}: 1-1`);
    expect(await redis.xlen(key('cmds:orders'))).toBe(6);
  }, CLI_TEST_MS);

  it('cleanup --dry-run lists what the bound takes and removes nothing; cleanup removes it', async () => {
    const dry = await runCli(['cleanup', ...target, '--idle-ms', '600000', '--dry-run']);
    expectExit(dry, 0);
    expect(dry.stdout).toContain('No consumers idle over 10m00s with nothing pending.');
    expect(dry.stdout).toContain('Would remove 1 reply stream without a TTL and without a reply for over 10m00s:');
    expect(dry.stdout).toMatch(new RegExp(`^${key('replies:orphan')}\\s+1\\s+\\d+d\\d\\dh$`, 'm'));
    expect(await redis.exists(key('replies:orphan'))).toBe(1);

    const real = await runCli(['cleanup', ...target, '--idle-ms', '600000']);
    expectExit(real, 0);
    expect(real.stdout).toContain('Removed 1 reply stream');
    expect(await redis.exists(key('replies:orphan'), key('replies:recent'), key('replies:live'))).toBe(2);

    // A bound every consumer is past: those owning nothing go, the one with pending entries stays;
    // the recent reply stream without a TTL goes too, the one with a TTL stays.
    const all = await runCli(['cleanup', ...target, '--idle-ms', '1', '--json']);
    expectExit(all, 0);
    const report = JSON.parse(all.stdout);
    expect(report).toMatchObject({ dryRun: false, idleMs: 1 });
    expect(report.consumers.map((c: { group: string; consumer: string }) => `${c.group}/${c.consumer}`).sort()).toEqual([
      'orders/orders:gone',
      'subscription:billing/subscription:billing:w1',
    ]);
    expect(report.replyStreams.map((r: { key: string }) => r.key)).toEqual([key('replies:recent')]);
    const consumers = (await redis.xinfo('CONSUMERS', key('cmds:orders'), 'orders')) as unknown[][];
    expect(consumers.map((c) => c[1])).toEqual(['orders:raw']);
    expect(await redis.exists(key('replies:live'))).toBe(1);
  }, CLI_TEST_MS);

  it('exits 1 within its timeout when Redis is unreachable, with a JSON error under --json', async () => {
    const run = await runCli(['inspect', '--redis-url', 'redis://127.0.0.1:1', '--key-prefix', keyPrefix, '--timeout-ms', '1000', '--json'], {}, 30_000);
    expectExit(run, 1);
    expect(run.stderr).toMatch(/nestjs-clamator inspect: Could not reach Redis at redis:\/\/127\.0\.0\.1:1 .*ECONNREFUSED/);
    expect(JSON.parse(run.stdout)).toEqual({ error: { message: expect.stringContaining('Could not reach Redis') } });
    // Node's start and the TS loader take most of it; the connection gives up at once.
    expect(run.elapsedMs).toBeLessThan(20_000);
  }, CLI_TEST_MS);

  it('exits 2 on usage errors, naming the problem and showing usage; --help exits 0', async () => {
    const [unknownCommand, unknownFlag, missingValue, help] = await Promise.all([
      runCli(['inspekt', ...target]),
      runCli(['inspect', ...target, '--verbose']),
      runCli(['dead-letters', 'orders', ...target, '--count']),
      runCli(['--help']),
    ]);
    for (const run of [unknownCommand, unknownFlag, missingValue]) {
      expectExit(run, 2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Usage: nestjs-clamator <command> --key-prefix PREFIX [options]');
    }
    expect(unknownCommand.stderr).toMatch(/^nestjs-clamator: unknown command "inspekt" \(did you mean inspect\?\)/);
    expect(unknownFlag.stderr).toMatch(/^nestjs-clamator: unknown flag --verbose/);
    expect(missingValue.stderr).toMatch(/^nestjs-clamator: --count needs a value \(--count N\)/);
    expectExit(help, 0);
    expect(help.stdout).toMatch(/^Usage: nestjs-clamator/);
    expect(help.stderr).toBe('');
  }, CLI_TEST_MS);

  it('replay puts a dead-lettered request back and a real server answers the caller still waiting', async () => {
    const calc = key('cmds:calc');
    await redis.xgroup('CREATE', calc, 'calc', '0', 'MKSTREAM');
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    let app: Awaited<ReturnType<typeof startMicroservice>>['app'] | undefined;
    try {
      const answer = client.call('calc', 'double', { n: 21 }, { timeoutMs: 120_000, metadata: { tenant: 't1' } });
      // A consumer takes the request and it is dead-lettered, as the server does past maxDeliveries
      // (without the error reply, so that the caller still waits).
      let taken: RawEntry[] = [];
      await waitFor(async () => {
        taken = entriesOfRead(await redis.xreadgroup('GROUP', 'calc', 'calc:crashed', 'COUNT', 1, 'STREAMS', calc, '>'));
        return taken.length === 1;
      }, 10_000, 'the request on the command stream');
      await streams.deadLetter('calc', { id: taken[0].id, fields: taken[0].fields }, 'delivered 2 times, more than maxDeliveries (1)', 2);
      await redis.xack(calc, 'calc', taken[0].id);
      expect(fieldOf(taken[0], 'metadata')).toBe('{"tenant":"t1"}');

      ({ app } = await startMicroservice([CalcController], { keyPrefix, redisUrl: redisUrl() }));
      const run = await runCli(['replay', 'calc', ...target]);
      expectExit(run, 0);
      expect(run.stdout).toMatch(new RegExp(`^Replayed 1 dead letter of "calc" onto ${key('cmds:calc')}:$`, 'm'));
      expect(run.stdout).toMatch(new RegExp(`^\\S+-\\d+\\s+\\S+-\\d+\\s+${taken[0].id}\\s+calc\\.double$`, 'm'));

      await expect(answer).resolves.toEqual({ doubled: 42, metadata: { tenant: 't1' }, deliveries: 1 });
      expect(await redis.xlen(key('dead:calc'))).toBe(0);
    } finally {
      await app?.close();
      await client.close();
    }
  }, CLI_TEST_MS);
});
