import { Controller, Get, Inject, Injectable, Module, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { ClientsModule, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { CLAMATOR_STREAMS_OPTIONS, ClamatorClient, ClamatorModule, ClamatorStreamsService } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, TestConnections, uniquePrefix } from '../utils/redis.js';

const prefixA = uniquePrefix('module-a');
const prefixB = uniquePrefix('module-b');

@Controller()
class EchoController {
  constructor() {}
  @MessagePattern('echo.whoami')
  whoami(@Payload() params: { tag: string }) {
    return { served: params.tag };
  }
}

@Controller()
class OtherEchoController {
  @MessagePattern('echo.whoami')
  whoami(@Payload() _params: unknown) {
    return { served: 'other' };
  }
}

@Injectable()
class UsesClients {
  constructor(
    @Inject('A') readonly a: ClamatorClient,
    @Inject('B') readonly b: ClamatorClient,
  ) {}
}

@Injectable()
class ConfigLike {
  readonly keyPrefix = prefixA;
  readonly url = redisUrl();
}

@Module({ providers: [ConfigLike], exports: [ConfigLike] })
class ConfigLikeModule {}

describe('ClamatorModule and ClientsModule registration', () => {
  let serverA: INestMicroservice;
  let serverB: INestMicroservice;
  const connections = new TestConnections();

  beforeAll(async () => {
    serverA = (await startMicroservice([EchoController], { keyPrefix: prefixA, redisUrl: redisUrl() })).app;
    serverB = (await startMicroservice([OtherEchoController], { keyPrefix: prefixB, redisUrl: redisUrl() })).app;
  });

  afterAll(async () => {
    await serverA.close();
    await serverB.close();
    await connections.closeAll();
  });

  it('register() makes a client injectable by its name and closes it on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ClamatorModule.register({ name: 'A', keyPrefix: prefixA, redisUrl: redisUrl() })],
    }).compile();
    const app = await moduleRef.init();
    const client = app.get<ClamatorClient>('A');
    expect(client).toBeInstanceOf(ClamatorClient);
    await expect(client.call('echo', 'whoami', { tag: 'sync' })).resolves.toEqual({ served: 'sync' });
    const replyStream = client.replyStream;
    const statuses: string[] = [];
    const subscription = client.status.subscribe((status) => statuses.push(status));
    await app.close();
    subscription.unsubscribe();
    expect(statuses).toContain('disconnected');
    const probe = connections.open();
    expect(await probe.exists(replyStream)).toBe(0);
    // Like Nest's own clients, a closed client connects again on its next call.
    await expect(client.call('echo', 'whoami', { tag: 'again' })).resolves.toEqual({ served: 'again' });
    await client.close();
  });

  it('registers several clients with different key prefixes side by side', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClamatorModule.register([
          { name: 'A', keyPrefix: prefixA, redisUrl: redisUrl() },
          { name: 'B', keyPrefix: prefixB, redisUrl: redisUrl() },
        ]),
      ],
      providers: [UsesClients],
    }).compile();
    const app = await moduleRef.init();
    const { a, b } = app.get(UsesClients);
    await expect(a.call('echo', 'whoami', { tag: 'a' })).resolves.toEqual({ served: 'a' });
    await expect(b.call('echo', 'whoami', { tag: 'b' })).resolves.toEqual({ served: 'other' });
    await app.close();
  });

  it('registerAsync() builds the client from injected providers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClamatorModule.registerAsync({
          name: 'ASYNC',
          imports: [ConfigLikeModule],
          inject: [ConfigLike],
          useFactory: async (config: ConfigLike) => ({ keyPrefix: config.keyPrefix, redisUrl: config.url }),
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    const client = app.get<ClamatorClient>('ASYNC');
    await expect(client.call('echo', 'whoami', { tag: 'async' })).resolves.toEqual({ served: 'async' });
    await app.close();
  });

  it('register() rejects invalid client options at startup, naming the option', () => {
    expect(() => ClamatorModule.register({ name: 'BAD', keyPrefix: '' })).toThrow(/keyPrefix/);
    expect(() => ClamatorModule.register({ name: 'BAD', keyPrefix: 'p', defaultTimeoutMs: -1 })).toThrow(/defaultTimeoutMs/);
    expect(() => ClamatorModule.register({ keyPrefix: 'p' } as never)).toThrow(/"name"/);
  });

  it('works through ClientsModule.register with customClass', async () => {
    @Controller()
    class GatewayController {
      constructor(@Inject('VIA_CLIENTS') private readonly client: ClamatorClient) {}
      @Get('x')
      x() {
        return this.client.send('echo.whoami', { tag: 'clients-module' });
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClientsModule.register([
          { name: 'VIA_CLIENTS', customClass: ClamatorClient, options: { keyPrefix: prefixA, redisUrl: redisUrl() } },
        ]),
      ],
      controllers: [GatewayController],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const client = app.get<ClamatorClient>('VIA_CLIENTS');
    expect(client).toBeInstanceOf(ClamatorClient);
    await expect(client.call('echo', 'whoami', { tag: 'cm' })).resolves.toEqual({ served: 'cm' });
    await app.close();
  });

  it('provides ClamatorStreamsService through DI for health checks and tools', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [{ provide: CLAMATOR_STREAMS_OPTIONS, useValue: { keyPrefix: prefixA, redisUrl: redisUrl() } }, ClamatorStreamsService],
    }).compile();
    const app = await moduleRef.init();
    const streams = app.get(ClamatorStreamsService);
    const client = new ClamatorClient({ keyPrefix: prefixA, redisUrl: redisUrl() });
    await client.call('echo', 'whoami', { tag: 'health' });
    await client.close();
    const consumers = await streams.consumers('echo');
    expect(consumers.map((consumer) => consumer.name)).toContainEqual(expect.stringMatching(/^echo:/));
    expect(consumers.every((consumer) => consumer.pending === 0)).toBe(true);
    await app.close();
    expect(streams.connection.status).not.toBe('ready');
  });
});
