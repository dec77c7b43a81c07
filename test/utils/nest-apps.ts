import type { INestMicroservice, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ClamatorServer, type ClamatorServerOptions } from '../../lib/index.js';

/** Creates a Nest microservice with `controllers` on a `ClamatorServer` without starting it, for tests of `listen()` itself. */
export async function createMicroservice(
  controllers: Type<unknown>[],
  options: ClamatorServerOptions,
  configure?: (app: INestMicroservice) => void,
): Promise<{ app: INestMicroservice; server: ClamatorServer }> {
  const moduleRef = await Test.createTestingModule({ controllers }).compile();
  const server = new ClamatorServer(options);
  const app = moduleRef.createNestMicroservice({ strategy: server, logger: ['error'] });
  configure?.(app);
  return { app, server };
}

/** Boots a Nest microservice with `controllers` on a `ClamatorServer`, the way the e2e docs do. */
export async function startMicroservice(
  controllers: Type<unknown>[],
  options: ClamatorServerOptions,
  configure?: (app: INestMicroservice) => void,
): Promise<{ app: INestMicroservice; server: ClamatorServer }> {
  const started = await createMicroservice(controllers, options, configure);
  await started.app.listen();
  return started;
}
