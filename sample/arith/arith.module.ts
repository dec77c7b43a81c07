import { type INestMicroservice, type LoggerService, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClamatorServer, type ClamatorServerOptions } from '../../lib/index.js';
import { ArithController } from './arith.controller.js';
import { AuditLog } from './audit-log.service.js';

/** The arith microservice: its controller and the in-memory audit log. */
@Module({
  controllers: [ArithController],
  providers: [AuditLog],
})
export class ArithModule {}

/** Options of `createArithApp`. */
export interface ArithAppOptions extends Omit<ClamatorServerOptions, 'keyPrefix' | 'redisUrl'> {
  /** Key prefix shared with the callers. */
  keyPrefix: string;
  /** Redis to serve on. Default: `$REDIS_URL`, else `redis://localhost:6379`. */
  redisUrl?: string;
  /** Nest logger, or the levels to log. Default: Nest's console logger with all levels. */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Creates the arith microservice on a `ClamatorServer`. The contract checks the params itself: no
 * `ValidationPipe` or exception filter is needed. Call `app.listen()` to start serving and
 * `app.close()` to stop.
 */
export async function createArithApp(options: ArithAppOptions): Promise<INestMicroservice> {
  const { logger, ...serverOptions } = options;
  const app = await NestFactory.createMicroservice(ArithModule, {
    strategy: new ClamatorServer(serverOptions),
    ...(logger === undefined ? {} : { logger }),
  });
  return app;
}
