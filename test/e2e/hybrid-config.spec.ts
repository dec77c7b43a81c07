/**
 * What a hybrid app's global pipes and filters do for its clamator handlers, as the README says:
 * they apply when registered before `connectMicroservice(..., { inheritAppConfig: true })`, and not
 * without `inheritAppConfig` or when registered after the microservice was connected.
 */
import { Controller, type INestApplication, ValidationPipe } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import { ClamatorClient, ClamatorExceptionFilter, ClamatorRpcError, ClamatorServer } from '../../lib/index.js';
import { redisUrl, uniquePrefix } from '../utils/redis.js';

class SquareParams {
  @IsInt()
  n!: number;
}

@Controller()
class SquareController {
  @MessagePattern('hybridcfg.square')
  square(@Payload() { n }: SquareParams) {
    return typeof n === 'number' ? n * n : `not validated: ${typeof n}`;
  }
}

type Setup = 'before, inherited' | 'not inherited' | 'after, inherited';

/** Boots a hybrid app with the global pipe and filter set up as `setup` says; returns what a call with bad params gets. */
async function badCallIn(setup: Setup): Promise<unknown> {
  const keyPrefix = uniquePrefix('hybrid-config');
  const moduleRef = await Test.createTestingModule({ controllers: [SquareController] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  const configure = () => {
    app.useGlobalPipes(new ValidationPipe({ transform: true }));
    app.useGlobalFilters(new ClamatorExceptionFilter());
  };
  if (setup === 'before, inherited') configure();
  const strategy = new ClamatorServer({ keyPrefix, redisUrl: redisUrl() });
  app.connectMicroservice({ strategy }, { inheritAppConfig: setup !== 'not inherited' });
  if (setup !== 'before, inherited') configure();
  await app.startAllMicroservices();
  await app.init();
  const client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
  try {
    return await client.call('hybridcfg', 'square', { n: 'seven' }).catch((error: unknown) => error);
  } finally {
    await client.close();
    await app.close();
  }
}

describe("a hybrid app's global pipes and filters for clamator handlers", () => {
  it('apply when set before connectMicroservice() with inheritAppConfig: true', async () => {
    const outcome = await badCallIn('before, inherited');
    expect(outcome).toBeInstanceOf(ClamatorRpcError);
    expect((outcome as ClamatorRpcError).code).toBe(-32602);
  });

  it('do not apply without inheritAppConfig', async () => {
    await expect(badCallIn('not inherited')).resolves.toBe('not validated: string');
  });

  it('do not apply when set after connectMicroservice(), even with inheritAppConfig: true', async () => {
    await expect(badCallIn('after, inherited')).resolves.toBe('not validated: string');
  });
});
