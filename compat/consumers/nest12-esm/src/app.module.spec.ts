import { ClientProxy } from '@nestjs/microservices';
import { Test, TestingModule } from '@nestjs/testing';
import { ClamatorClient } from 'nestjs-clamator';
import { AppModule } from './app.module.js';
import { ARITH, GatewayController } from './gateway.controller.js';

describe('AppModule', () => {
  let moduleRef: TestingModule;

  beforeEach(async () => {
    // The client connects on its first call: compiling the module needs no Redis.
    moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'unit' })],
    }).compile();
  });

  afterEach(async () => {
    await moduleRef.close();
  });

  it('provides a ClamatorClient, a Nest ClientProxy, to the gateway', () => {
    const client = moduleRef.get<ClamatorClient>(ARITH);
    expect(client).toBeInstanceOf(ClamatorClient);
    expect(client).toBeInstanceOf(ClientProxy);
    expect(moduleRef.get(GatewayController)).toBeInstanceOf(GatewayController);
  });

  it('loads the ES module build (jest in ESM mode)', () => {
    expect(import.meta.resolve('nestjs-clamator')).toMatch(/\/nestjs-clamator\/dist\/esm\/index\.js$/);
  });
});
