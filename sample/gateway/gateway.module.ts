import { type DynamicModule, type INestApplication, type LoggerService, type LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type ClamatorClientOptions, ClamatorModule } from '../../lib/index.js';
import { ARITH_CLIENT } from './arith.constants.js';
import { ClamatorHttpExceptionFilter } from './clamator-http.filter.js';
import { GatewayController } from './gateway.controller.js';

/** Options of the gateway: where the arith service is reached. */
export interface GatewayOptions extends Omit<ClamatorClientOptions, 'keyPrefix' | 'redisUrl'> {
  /** Key prefix shared with the arith service. */
  keyPrefix: string;
  /** Redis the arith service listens on. Default: `$REDIS_URL`, else `redis://localhost:6379`. */
  redisUrl?: string;
}

/** The HTTP gateway: its controller and a `ClamatorClient` registered under `ARITH_CLIENT`. */
@Module({})
export class GatewayModule {
  static register(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        // The client is injected by name and closed on app shutdown. Nest's
        // ClientsModule.register([{ name, customClass: ClamatorClient, options }]) works the same way.
        ClamatorModule.register({ name: ARITH_CLIENT, ...options }),
      ],
      controllers: [GatewayController],
    };
  }
}

/** Options of `createGatewayApp`. */
export interface GatewayAppOptions extends GatewayOptions {
  /** Nest logger, or the levels to log. Default: Nest's console logger with all levels. */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Creates the HTTP gateway (Express) with its error mapping in place. Call `app.listen(port)` to
 * serve, or `app.init()` and use `app.getHttpServer()` (e.g. with supertest); `app.close()` closes
 * the client too.
 */
export async function createGatewayApp(options: GatewayAppOptions): Promise<INestApplication> {
  const { logger, ...gatewayOptions } = options;
  const app = await NestFactory.create(GatewayModule.register(gatewayOptions), logger === undefined ? {} : { logger });
  app.useGlobalFilters(new ClamatorHttpExceptionFilter());
  return app;
}
