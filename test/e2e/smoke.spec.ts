import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ClamatorClient } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, uniquePrefix } from '../utils/redis.js';

@Controller()
class ArithController {
  @MessagePattern('arith.add')
  add(@Payload() p: { a: number; b: number }) {
    return p.a + p.b;
  }
}

describe('smoke', () => {
  it('answers a call', async () => {
    const keyPrefix = uniquePrefix('smoke');
    const { app } = await startMicroservice([ArithController], { keyPrefix, redisUrl: redisUrl() });
    const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    await expect(client.call('arith', 'add', { a: 2, b: 3 })).resolves.toBe(5);
    await client.close();
    await app.close();
  });
});
