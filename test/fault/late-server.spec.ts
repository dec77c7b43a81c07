import { Controller, type INestMicroservice } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';
import { pendingCount, settleWithin, valueOf } from './fault-helpers.js';

const noted: number[] = [];

@Controller()
class LateController {
  @MessagePattern('late.add')
  add(@Payload() params: { a: number; b: number }) {
    return params.a + params.b;
  }

  @EventPattern('late.note')
  note(@Payload() params: { n: number }) {
    noted.push(params.n);
  }
}

describe('a server that starts after requests were written', () => {
  const connections = new TestConnections();
  let app: INestMicroservice | undefined;
  let client: ClamatorClient | undefined;

  afterEach(async () => {
    await client?.close();
    await app?.close();
    app = client = undefined;
  }, 30_000);
  afterAll(() => connections.closeAll());

  it('answers the calls and handles the notifications its service received before it existed', async () => {
    const keyPrefix = uniquePrefix('fault-late-server');
    const probe = connections.open();
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    const caller = client;
    noted.length = 0;

    const calls = Promise.all(Array.from({ length: 5 }, (_, i) => caller.call<number>('late', 'add', { a: i, b: 10 }, { timeoutMs: 20_000 })));
    await Promise.all([1, 2, 3].map((n) => caller.notify('late', 'note', { n })));
    await waitFor(async () => (await probe.xlen(`${keyPrefix}:cmds:late`)) === 8, 5000, 'the 5 requests and 3 notifications in the stream');

    ({ app } = await startMicroservice([LateController], { keyPrefix, redisUrl: redisUrl() }));

    expect(valueOf(await settleWithin(calls, 10_000))).toEqual([10, 11, 12, 13, 14]);
    await waitFor(() => noted.length === 3, 5000, 'the 3 notifications to be handled');
    expect(noted.sort()).toEqual([1, 2, 3]);
    await waitFor(async () => (await pendingCount(probe, keyPrefix, 'late')) === 0, 5000, 'nothing pending');
  }, 40_000);
});
