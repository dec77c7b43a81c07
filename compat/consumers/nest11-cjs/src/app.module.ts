import { DynamicModule, Module } from '@nestjs/common';
import { ClamatorModule } from 'nestjs-clamator';
import { ArithController } from './arith.controller';
import { ARITH, GatewayController } from './gateway.controller';

export interface AppOptions {
  redisUrl: string;
  keyPrefix: string;
}

@Module({})
export class AppModule {
  static forRoot({ redisUrl, keyPrefix }: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [ClamatorModule.register([{ name: ARITH, keyPrefix, redisUrl }])],
      controllers: [ArithController, GatewayController],
    };
  }
}
