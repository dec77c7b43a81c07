/**
 * The error replies the README promises for what handlers and guards throw, with and without
 * ClamatorExceptionFilter (in RPC context Nest's guards throw RpcException('Forbidden resource')).
 */
import { type CanActivate, Controller, UseGuards } from '@nestjs/common';
import { MessagePattern, RpcException } from '@nestjs/microservices';
import { ClamatorClient, ClamatorExceptionFilter, ClamatorRpcError } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, uniquePrefix } from '../utils/redis.js';

class Nobody implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller()
class ErrorsController {
  @UseGuards(Nobody)
  @MessagePattern('errs.guarded')
  guarded() {
    return 'never';
  }

  @MessagePattern('errs.coded')
  coded() {
    throw new RpcException({ code: -32010, message: 'Out of stock', data: { sku: 'a-1' } });
  }

  @MessagePattern('errs.uncoded')
  uncoded() {
    throw new RpcException({ reason: 'locked', until: 5 });
  }

  @MessagePattern('errs.text')
  text() {
    throw new RpcException('Account locked');
  }
}

/** The error reply of a call, as the caller sees it. */
async function replyOf(withFilter: boolean, method: string): Promise<{ code: number; message: string; data: unknown }> {
  const keyPrefix = uniquePrefix('errors');
  const { app } = await startMicroservice([ErrorsController], { keyPrefix, redisUrl: redisUrl() }, (micro) => {
    if (withFilter) micro.useGlobalFilters(new ClamatorExceptionFilter());
  });
  const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  try {
    const error = await client.call('errs', method, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClamatorRpcError);
    const { code, message, data } = error as ClamatorRpcError;
    return { code, message, data };
  } finally {
    await client.close();
    await app.close();
  }
}

describe('error replies', () => {
  describe('with ClamatorExceptionFilter', () => {
    it('a guard that refuses: -32000 "Forbidden resource", data null', async () => {
      await expect(replyOf(true, 'guarded')).resolves.toEqual({ code: -32000, message: 'Forbidden resource', data: null });
    });

    it('RpcException with code and message: as it is', async () => {
      await expect(replyOf(true, 'coded')).resolves.toEqual({ code: -32010, message: 'Out of stock', data: { sku: 'a-1' } });
    });

    it('RpcException with an object without code: -32000 with the object as data', async () => {
      await expect(replyOf(true, 'uncoded')).resolves.toEqual({
        code: -32000,
        message: 'Rpc Exception',
        data: { reason: 'locked', until: 5 },
      });
    });
  });

  describe("without it (Nest's default filter)", () => {
    it('a guard that refuses: -32603 with the message in data', async () => {
      await expect(replyOf(false, 'guarded')).resolves.toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'Error', message: 'Forbidden resource' },
      });
    });

    it('RpcException with code and message: still as it is', async () => {
      await expect(replyOf(false, 'coded')).resolves.toEqual({ code: -32010, message: 'Out of stock', data: { sku: 'a-1' } });
    });

    it('RpcException with an object without code: -32603, the fields flattened into a message', async () => {
      const reply = await replyOf(false, 'uncoded');
      expect(reply.code).toBe(-32603);
      expect(reply.data).toEqual({ name: 'object', message: '{"reason":"locked","until":5}' });
    });

    it("RpcException('text'): -32603 with the text in data", async () => {
      await expect(replyOf(false, 'text')).resolves.toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'Error', message: 'Account locked' },
      });
    });
  });
});
