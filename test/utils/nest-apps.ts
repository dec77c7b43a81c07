import type { INestMicroservice, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClamatorServer, type ClamatorServerOptions } from '../../lib/index.js';

/** Boots a Nest microservice with `controllers` on a `ClamatorServer`, the way the e2e docs do. */
export async function startMicroservice(
  controllers: Type<unknown>[],
  options: ClamatorServerOptions,
  configure?: (app: INestMicroservice) => void,
): Promise<{ app: INestMicroservice; server: ClamatorServer }> {
  const moduleRef = await Test.createTestingModule({ controllers }).compile();
  const server = new ClamatorServer(options);
  const app = moduleRef.createNestMicroservice({ strategy: server, logger: ['error'] });
  configure?.(app);
  await app.listen();
  return { app, server };
}
