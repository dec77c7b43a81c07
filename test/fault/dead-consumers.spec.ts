import { Controller, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { startMicroservice } from '../utils/nest-apps.js';
import { delay, redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { consumersOf, fieldsOf, pendingCount } from './fault-helpers.js';

@Controller()
class EchoController {
  @MessagePattern('dc.echo')
  echo(@Payload() params: Record<string, unknown>) {
    return params;
  }
}

describe('dead consumers', () => {
  const connections = new TestConnections();
  const apps: INestMicroservice[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => connections.closeAll());

  it('an idle consumer owning nothing is removed; one owning a pending entry is kept until the entry is reclaimed', async () => {
    const keyPrefix = uniquePrefix('fault-dead-consumers');
    const stream = `${keyPrefix}:cmds:dc`;
    const replyTo = `${keyPrefix}:replies:raw`;
    const probe = connections.open();
    // Two consumers of servers that died: one holding a request, one that finished its work.
    await probe.xgroup('CREATE', stream, 'dc', '$', 'MKSTREAM');
    await probe.xadd(stream, '*', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","method":"dc.echo","params":{"kept":true},"id":"r1"}', 'reply-to', replyTo);
    await probe.xadd(stream, '*', 'type', 'rpc', 'envelope', '{"jsonrpc":"2.0","method":"dc.echo","params":{}}');
    await probe.xreadgroup('GROUP', 'dc', 'dc:ghost-busy', 'COUNT', 1, 'STREAMS', stream, '>');
    const [[, [[doneId]]]] = (await probe.xreadgroup('GROUP', 'dc', 'dc:ghost-idle', 'COUNT', 1, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    await probe.xack(stream, 'dc', doneId);
    expect(await consumersOf(probe, keyPrefix, 'dc')).toEqual(new Map([['dc:ghost-busy', 1], ['dc:ghost-idle', 0]]));

    const options = { keyPrefix, redisUrl: redisUrl(), blockMs: 100, deadConsumerIdleMs: 1000, maintenanceIntervalMs: 100 };
    // This server would take the request over only after a minute.
    apps.push((await startMicroservice([EchoController], { ...options, instanceId: 'one', consumerClaimIdleMs: 60_000 })).app);

    await waitFor(async () => !(await consumersOf(probe, keyPrefix, 'dc')).has('dc:ghost-idle'), 10_000, 'the idle consumer removed');
    await delay(500); // several more maintenance passes
    const afterRemoval = await consumersOf(probe, keyPrefix, 'dc');
    expect(afterRemoval.get('dc:ghost-busy')).toBe(1);
    expect(afterRemoval.has('dc:ghost-idle')).toBe(false);

    // A server with a short claim threshold takes the request over; the consumer left behind then goes too.
    apps.push((await startMicroservice([EchoController], { ...options, instanceId: 'two', consumerClaimIdleMs: 1000 })).app);
    await waitFor(async () => (await probe.xlen(replyTo)) === 1, 10_000, 'the reclaimed request answered');
    const [[, fields]] = (await probe.xrange(replyTo, '-', '+')) as [string, string[]][];
    expect(JSON.parse(fieldsOf(fields).envelope)).toEqual({ jsonrpc: '2.0', id: 'r1', result: { kept: true } });
    await waitFor(async () => !(await consumersOf(probe, keyPrefix, 'dc')).has('dc:ghost-busy'), 10_000, 'the drained consumer removed');
    // The live servers' own consumers may come and go: before Redis 7.2 a consumer that reads nothing looks idle too.
    expect([...(await consumersOf(probe, keyPrefix, 'dc')).keys()].filter((name) => name.startsWith('dc:ghost'))).toEqual([]);
    expect(await pendingCount(probe, keyPrefix, 'dc')).toBe(0);
  }, 40_000);
});
