import { INestApplication } from '@nestjs/common';
import { ClientProxy, Server } from '@nestjs/microservices';
import { Test, TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { App } from 'supertest/types.js';
import { ClamatorClient, ClamatorRpcError, ClamatorServer } from 'nestjs-clamator';
import { AppModule } from './../src/app.module.js';
import { ARITH } from './../src/gateway.controller.js';
import { startRedis, TestRedis } from './redis-server.js';

describe('Gateway → clamator → Arith (e2e, real Redis)', () => {
  const keyPrefix = `e2e-${process.pid}`;
  let redis: TestRedis;
  let app: INestApplication<App>;
  let strategy: ClamatorServer;

  beforeAll(async () => {
    redis = await startRedis();
    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule.forRoot({ redisUrl: redis.url, keyPrefix })],
    }).compile();

    app = moduleFixture.createNestApplication();
    strategy = new ClamatorServer({ keyPrefix, redisUrl: redis.url });
    app.connectMicroservice({ strategy });
    await app.startAllMicroservices();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('GET /add is answered by the microservice over Redis', () => {
    return request(app.getHttpServer()).get('/add?a=2&b=3').expect(200).expect({ sum: 5 });
  });

  it('GET /divide by zero: the controller catches a ClamatorRpcError', () => {
    return request(app.getHttpServer())
      .get('/divide?a=1&b=0')
      .expect(400)
      .expect((res) => expect(res.body.message).toBe('division by zero (-32000)'));
  });

  it('a rejected call rejects with a ClamatorRpcError', async () => {
    const client = app.get<ClamatorClient>(ARITH);
    const error = await client.call('arith', 'divide', { a: 1, b: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClamatorRpcError);
    expect(error).toMatchObject({ code: -32000, message: 'division by zero', data: { a: 1 } });
  });

  it("the strategy is a Nest Server and the client a Nest ClientProxy, of the app's @nestjs/microservices", () => {
    expect(strategy).toBeInstanceOf(Server);
    expect(app.get(ARITH)).toBeInstanceOf(ClientProxy);
  });
});
