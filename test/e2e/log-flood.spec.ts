/**
 * A peer that floods a client's reply stream (or a server's command stream) with entries that can
 * only be logged must not flood the logs: one line per kind, then a count.
 */
import { jest } from '@jest/globals';
import { Controller, type INestMicroservice, Logger } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { ClamatorClient } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { waitAllAcknowledged } from '../utils/raw-peer.js';
import { deleteKeys, redisUrl, TestConnections, uniquePrefix } from '../utils/redis.js';

@Controller()
class FloodController {
  @MessagePattern('flood.echo')
  echo(@Payload() params: unknown) {
    return params;
  }
}

describe('log floods', () => {
  const keyPrefix = uniquePrefix('log-flood');
  const connections = new TestConnections();
  let redis: Redis;
  let app: INestMicroservice;
  let client: ClamatorClient;

  beforeAll(async () => {
    redis = connections.open();
    ({ app } = await startMicroservice([FloodController], { keyPrefix, redisUrl: redisUrl() }));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await deleteKeys(redis, keyPrefix);
    await connections.closeAll();
  });

  it('500 garbage entries in a client reply stream cost at most 2 warning lines, and calls still succeed', async () => {
    // The client reads its reply stream once it has made a call.
    await expect(client.call('flood', 'echo', { n: 0 })).resolves.toEqual({ n: 0 });
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const flood = redis.pipeline();
      for (let i = 0; i < 500; i += 1) {
        const envelope = i % 2 === 0 ? `not json ${i}` : `{"jsonrpc":"2.0","id":"x${i}"}`;
        flood.xadd(client.replyStream, '*', 'type', 'rpc', 'envelope', envelope);
      }
      await flood.exec();
      // Replies are read in stream order: once this call is answered, every garbage entry was read.
      await expect(client.call('flood', 'echo', { n: 1 })).resolves.toEqual({ n: 1 });

      const fromClient = warnings.mock.calls.map(([message]) => String(message)).filter((message) => message.includes(client.replyStream));
      expect(fromClient.length).toBeGreaterThanOrEqual(1);
      expect(fromClient.length).toBeLessThanOrEqual(2);
      expect(fromClient[0]).toMatch(/is not a JSON-RPC response; ignored\.$/);
    } finally {
      warnings.mockRestore();
    }
  });

  it('500 notifications without a handler cost the server one warning line, and requests are still answered', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const stream = `${keyPrefix}:cmds:flood`;
      const flood = redis.pipeline();
      for (let i = 0; i < 500; i += 1) {
        flood.xadd(stream, '*', 'type', 'rpc', 'envelope', `{"jsonrpc":"2.0","method":"flood.nobody","params":{"i":${i}}}`);
      }
      await flood.exec();
      // One service runs its entries in arrival order: this reply comes after every notification was handled.
      await expect(client.call('flood', 'echo', { n: 2 })).resolves.toEqual({ n: 2 });
      await waitAllAcknowledged(redis, stream, 'flood');

      const fromServer = warnings.mock.calls.map(([message]) => String(message)).filter((message) => message.includes('flood.nobody'));
      expect(fromServer).toEqual([expect.stringMatching(/^No handler for notification flood\.nobody \(entry [\d-]+\)\. Acknowledged\.$/)]);
    } finally {
      warnings.mockRestore();
    }
  });
});
