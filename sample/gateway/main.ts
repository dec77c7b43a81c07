// The HTTP gateway as a process:
//   CLAMATOR_PREFIX=clamator-demo REDIS_URL=redis://127.0.0.1:6379 PORT=3000 node --import ./scripts/register-ts.mjs sample/gateway/main.ts
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createGatewayApp } from './gateway.module.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('GatewayMain');
  const keyPrefix = process.env.CLAMATOR_PREFIX || 'clamator-demo';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 3000);
  const app = await createGatewayApp({ keyPrefix, redisUrl });
  app.enableShutdownHooks();
  await app.listen(port, host);
  logger.log(`Gateway listening on http://${host}:${port}, calling arith with key prefix "${keyPrefix}" on ${redisUrl}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('GatewayMain').error(`Could not start: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
