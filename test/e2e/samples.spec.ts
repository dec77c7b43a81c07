// The sample apps (sample/arith, sample/gateway) booted in-process on the test Redis, driven over
// HTTP. Runs against Nest 12 and, with CLAMATOR_NEST=11, against Nest 11: the gateway registers its
// ClamatorClient through Nest's ClientsModule (`customClass`), which both majors must accept.
import type { INestApplication, INestMicroservice } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { ClamatorClient } from '../../lib/index.js';
import { createArithApp } from '../../sample/arith/arith.module.js';
import { ARITH_CLIENT } from '../../sample/gateway/arith.constants.js';
import { createGatewayApp } from '../../sample/gateway/gateway.module.js';
import { deleteKeys, redisUrl, uniquePrefix, waitFor } from '../utils/redis.js';

describe('sample apps: gateway over HTTP -> ClamatorClient -> arith microservice', () => {
  const keyPrefix = uniquePrefix('samples');
  let arith: INestMicroservice;
  let gateway: INestApplication;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    arith = await createArithApp({ keyPrefix, redisUrl: redisUrl(), logger: false });
    await arith.listen();
    gateway = await createGatewayApp({ keyPrefix, redisUrl: redisUrl(), logger: false });
    await gateway.init();
  });

  afterAll(async () => {
    await gateway?.close();
    await arith?.close();
    await deleteKeys(redis, keyPrefix);
    await redis.quit();
  });

  it('injects a ClamatorClient registered with ClientsModule customClass', () => {
    expect(gateway.get(ARITH_CLIENT)).toBeInstanceOf(ClamatorClient);
  });

  it('answers GET /add with the sum', async () => {
    await request(gateway.getHttpServer()).get('/add?a=2&b=3').expect(200, { result: 5 });
  });

  it('answers GET /divide with the quotient', async () => {
    await request(gateway.getHttpServer()).get('/divide?a=1&b=4').expect(200, { result: 0.25 });
  });

  it('maps the application error of a division by zero to 422 with code, message and data', async () => {
    await request(gateway.getHttpServer())
      .get('/divide?a=7&b=0')
      .expect(422, { code: -32000, message: 'division by zero', data: { a: 7 } });
  });

  it('maps params the contract refuses to 400 naming the field', async () => {
    const response = await request(gateway.getHttpServer()).get('/add?a=x&b=3').expect(400);
    expect(response.body).toMatchObject({ code: -32602, message: 'Invalid params' });
    expect(response.body.data.errors).toEqual([expect.objectContaining({ field: 'a' })]);
  });

  it('has the service refuse params that break the contract when a caller sends them without it', async () => {
    const client = gateway.get<ClamatorClient>(ARITH_CLIENT);
    const error = await client.call('arith', 'add', { a: 'x', b: 3, c: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: -32602, message: 'Invalid params' });
    const fields = (error as { data: { errors: Array<{ field: string }> } }).data.errors.map((e) => e.field).sort();
    expect(fields).toEqual(['a', 'c']);
  });

  it('answers GET /slow after the handler waited', async () => {
    await request(gateway.getHttpServer()).get('/slow?ms=20').expect(200, { result: { sleptMs: 20 } });
  });

  it('queues POST /audit as a notification that the service then records', async () => {
    const action = `spec-${keyPrefix.slice(-8)}`;
    await request(gateway.getHttpServer()).post('/audit').send({ action, actor: 'jest' }).expect(202, { queued: true });
    let records: Array<{ action: string; actor: string | null }> = [];
    await waitFor(
      async () => {
        records = (await request(gateway.getHttpServer()).get('/audit').expect(200)).body.result;
        return records.some((record) => record.action === action);
      },
      15_000,
      'the audit record',
    );
    expect(records.filter((record) => record.action === action)).toEqual([expect.objectContaining({ action, actor: 'jest' })]);
  });

  it('closes the ClamatorClient with the app: its reply stream is deleted', async () => {
    const client = gateway.get<ClamatorClient>(ARITH_CLIENT);
    await request(gateway.getHttpServer()).get('/add?a=1&b=1').expect(200, { result: 2 });
    expect(await redis.exists(client.replyStream)).toBe(1);
    await gateway.close();
    expect(await redis.exists(client.replyStream)).toBe(0);
  });
});
