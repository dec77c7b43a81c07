import { Controller, Inject, Injectable, Module, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { ClamatorClient, type ClamatorClientOptions, ClamatorModule, type ClamatorOptionsFactory } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, TestConnections, uniquePrefix } from '../utils/redis.js';

// Real Nest apps against the Redis of the global setup: each way of registerAsync (and isGlobal)
// gives a client that reaches a tiny server and closes when the app shuts down.

const prefix = uniquePrefix('module-async');

@Controller()
class EchoController {
  @MessagePattern('echo.whoami')
  whoami(@Payload() params: { tag: string }) {
    return { served: params.tag };
  }
}

/** Stands for ConfigService: a provider of another module that the options come from. */
@Injectable()
class AppConfig {
  readonly keyPrefix = prefix;
  readonly url = redisUrl();
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

/** A ClamatorOptionsFactory that Nest instantiates, injecting AppConfig by its constructor's type. */
@Injectable()
class ClamatorConfig implements ClamatorOptionsFactory {
  /** Instances made, to tell `useClass` (a new one per client) from `useExisting` (the module's). */
  static readonly instances: ClamatorConfig[] = [];
  calls = 0;

  constructor(private readonly config: AppConfig) {
    ClamatorConfig.instances.push(this);
  }

  async createClamatorOptions(): Promise<ClamatorClientOptions> {
    this.calls += 1;
    return { keyPrefix: this.config.keyPrefix, redisUrl: this.config.url, defaultTimeoutMs: 5000 };
  }
}

/** Provides (and exports) a ClamatorConfig for `useExisting`. */
@Module({ imports: [AppConfigModule], providers: [ClamatorConfig], exports: [ClamatorConfig] })
class ClamatorConfigModule {}

describe('ClamatorModule.registerAsync with useFactory, useClass, useExisting, and isGlobal', () => {
  let server: INestMicroservice;
  const connections = new TestConnections();
  let probe: Redis;

  beforeAll(async () => {
    server = (await startMicroservice([EchoController], { keyPrefix: prefix, redisUrl: redisUrl() })).app;
    probe = connections.open();
  });

  afterAll(async () => {
    await server.close();
    await connections.closeAll();
  });

  beforeEach(() => {
    ClamatorConfig.instances.length = 0;
  });

  /** Makes a real call through each client, then shuts the app down and checks that each client closed. */
  async function callThenShutDown(app: INestApplicationContext, clients: ClamatorClient[]): Promise<void> {
    const statuses = clients.map(() => [] as string[]);
    const subscriptions = clients.map((client, index) => client.status.subscribe((status) => statuses[index].push(status)));
    for (const [index, client] of clients.entries()) {
      expect(client).toBeInstanceOf(ClamatorClient);
      await expect(client.call('echo', 'whoami', { tag: `client ${index}` })).resolves.toEqual({ served: `client ${index}` });
      expect(await probe.exists(client.replyStream)).toBe(1);
    }
    await app.close();
    subscriptions.forEach((subscription) => subscription.unsubscribe());
    for (const [index, client] of clients.entries()) {
      expect(statuses[index]).toContain('disconnected');
      expect(client.pendingCount).toBe(0);
      // Deleted by close(): the client was closed by the app's shutdown, not only dropped.
      expect(await probe.exists(client.replyStream)).toBe(0);
    }
  }

  it('useFactory with inject from an imported module', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClamatorModule.registerAsync({
          name: 'FACTORY',
          imports: [AppConfigModule],
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => ({ keyPrefix: config.keyPrefix, redisUrl: config.url }),
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    await callThenShutDown(app, [app.get<ClamatorClient>('FACTORY')]);
  });

  it('useClass: Nest instantiates the factory class, which injects a provider of `imports`', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ClamatorModule.registerAsync({ name: 'CLASS', imports: [AppConfigModule], useClass: ClamatorConfig })],
    }).compile();
    const app = await moduleRef.init();
    const client = app.get<ClamatorClient>('CLASS');
    expect(ClamatorConfig.instances).toHaveLength(1);
    expect(ClamatorConfig.instances[0].calls).toBe(1);
    expect(client.options.defaultTimeoutMs).toBe(5000);
    await callThenShutDown(app, [client]);
  });

  it('useExisting: the factory an imported module provides is used, not a new one', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ClamatorModule.registerAsync({ name: 'EXISTING', imports: [ClamatorConfigModule], useExisting: ClamatorConfig })],
    }).compile();
    const app = await moduleRef.init();
    expect(ClamatorConfig.instances).toHaveLength(1);
    expect(app.get(ClamatorConfig, { strict: false })).toBe(ClamatorConfig.instances[0]);
    expect(ClamatorConfig.instances[0].calls).toBe(1);
    await callThenShutDown(app, [app.get<ClamatorClient>('EXISTING')]);
  });

  it('the array form mixes the three ways, one client each', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ClamatorModule.registerAsync([
          { name: 'F', imports: [AppConfigModule], inject: [AppConfig], useFactory: (config: AppConfig) => ({ keyPrefix: config.keyPrefix, redisUrl: config.url }) },
          { name: 'C', imports: [AppConfigModule], useClass: ClamatorConfig },
          { name: 'C2', imports: [AppConfigModule], useClass: ClamatorConfig },
          { name: 'E', imports: [ClamatorConfigModule], useExisting: ClamatorConfig },
        ]),
      ],
    }).compile();
    const app = await moduleRef.init();
    // One factory per useClass client (C and C2 share the class, not the instance), plus the existing one.
    expect(ClamatorConfig.instances).toHaveLength(3);
    expect(ClamatorConfig.instances.every((factory) => factory.calls === 1)).toBe(true);
    const clients = ['F', 'C', 'C2', 'E'].map((name) => app.get<ClamatorClient>(name));
    expect(new Set(clients).size).toBe(4);
    await callThenShutDown(app, clients);
  });

  describe('isGlobal', () => {
    /** Injects 'G' in a module that does not import ClamatorModule. */
    @Injectable()
    class UsesGlobalClient {
      constructor(@Inject('G') readonly client: ClamatorClient) {}
    }

    @Module({ providers: [UsesGlobalClient] })
    class FeatureModule {}

    const factoryOptions = { name: 'G', imports: [AppConfigModule], useClass: ClamatorConfig };
    const staticOptions = { name: 'G', keyPrefix: prefix, redisUrl: redisUrl() };

    async function clientOfFeatureModule(clamatorModule: ReturnType<typeof ClamatorModule.register>): Promise<void> {
      const moduleRef = await Test.createTestingModule({ imports: [clamatorModule, FeatureModule] }).compile();
      const app = await moduleRef.init();
      await callThenShutDown(app, [app.get(UsesGlobalClient).client]);
    }

    it('inside the options of registerAsync and register makes the client injectable in another module', async () => {
      await clientOfFeatureModule(ClamatorModule.registerAsync({ ...factoryOptions, isGlobal: true }));
      await clientOfFeatureModule(ClamatorModule.register({ ...staticOptions, isGlobal: true }));
    });

    it('as the second argument still works', async () => {
      await clientOfFeatureModule(ClamatorModule.registerAsync(factoryOptions, { isGlobal: true }));
      await clientOfFeatureModule(ClamatorModule.register(staticOptions, { isGlobal: true }));
    });

    it('true on one client of an array makes the whole call global', async () => {
      await clientOfFeatureModule(ClamatorModule.registerAsync([{ ...factoryOptions, isGlobal: true }, { ...factoryOptions, name: 'H' }]));
    });

    it('without it, the other module cannot inject the client', async () => {
      await expect(Test.createTestingModule({ imports: [ClamatorModule.registerAsync(factoryOptions), FeatureModule] }).compile()).rejects.toThrow(
        /resolve dependencies of the UsesGlobalClient/,
      );
      await expect(
        Test.createTestingModule({ imports: [ClamatorModule.registerAsync({ ...factoryOptions, isGlobal: false }, { isGlobal: false }), FeatureModule] }).compile(),
      ).rejects.toThrow(/resolve dependencies of the UsesGlobalClient/);
    });
  });
});
