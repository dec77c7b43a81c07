// The arith microservice as a process:
//   CLAMATOR_PREFIX=clamator-demo REDIS_URL=redis://127.0.0.1:6379 node --import ./scripts/register-ts.mjs sample/arith/main.ts
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createArithApp } from './arith.module.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('ArithMain');
  const keyPrefix = process.env.CLAMATOR_PREFIX || 'clamator-demo';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const app = await createArithApp({ keyPrefix, redisUrl });
  // SIGTERM / SIGINT close the app: the server stops reading, finishes what it is handling, replies, then exits.
  app.enableShutdownHooks();
  await app.listen();
  logger.log(`Arith microservice listening on ${redisUrl} with key prefix "${keyPrefix}"`);
}

bootstrap().catch((error: unknown) => {
  new Logger('ArithMain').error(`Could not start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
