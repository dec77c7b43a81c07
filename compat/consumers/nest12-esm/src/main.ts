import { NestFactory } from '@nestjs/core';
import { ClamatorServer } from 'nestjs-clamator';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = process.env.CLAMATOR_KEY_PREFIX ?? 'consumer';
  const app = await NestFactory.create(AppModule.forRoot({ redisUrl, keyPrefix }));
  app.connectMicroservice({ strategy: new ClamatorServer({ keyPrefix, redisUrl }) });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(process.env.PORT ?? 3000, '127.0.0.1');
}
await bootstrap();
