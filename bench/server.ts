/**
 * Server process of one bench scenario, started by bench/run.ts. argv[2] is a JSON `ServerConfig`.
 * Serves `arith.add` / `arith.added` until the parent says `stop`.
 */
import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { ClamatorServer } from '../lib/index.js';
import { BenchModule, readEventCount, servicesModule } from './arith.controller.js';
import { cpuMicros, memorySample, serveParent } from './ipc.js';
import { loadedNestVersion } from './nest-version.js';
import { RawServer } from './raw.js';

/** What the parent asks a server process to run. */
export interface ServerConfig {
  readonly kind: 'clamator' | 'nest-redis' | 'raw';
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly concurrency?: number;
  readonly readCount?: number;
  readonly telemetry?: boolean;
  /** A Redis Cluster's startup nodes (clamator only): `redisUrl` is not used then. */
  readonly clusterNodes?: Array<{ host: string; port: number }>;
  /** Services to serve `add` on (clamator only), instead of `arith`: spread over a cluster's masters. */
  readonly services?: string[];
}

const config = JSON.parse(process.argv[2]) as ServerConfig;
let app: INestMicroservice | undefined;
let raw: RawServer | undefined;

if (config.kind === 'raw') {
  raw = new RawServer({ redisUrl: config.redisUrl, keyPrefix: config.keyPrefix, service: 'arith' });
  await raw.start();
} else if (config.kind === 'clamator') {
  app = await NestFactory.createMicroservice(config.services ? servicesModule(config.services) : BenchModule, {
    strategy: new ClamatorServer({
      keyPrefix: config.keyPrefix,
      ...(config.clusterNodes ? { cluster: { nodes: config.clusterNodes } } : { redisUrl: config.redisUrl }),
      concurrency: config.concurrency,
      readCount: config.readCount,
      telemetry: config.telemetry,
    }),
    logger: ['error', 'warn'],
  });
  await app.listen();
} else {
  const { hostname, port } = new URL(config.redisUrl);
  app = await NestFactory.createMicroservice(BenchModule, {
    transport: Transport.REDIS,
    options: { host: hostname, port: Number(port) },
    logger: ['error', 'warn'],
  });
  await app.listen();
}

serveParent(
  {
    events: (args) => readEventCount(Boolean((args as { reset?: boolean } | undefined)?.reset)),
    memory: () => memorySample(),
    cpu: () => cpuMicros(),
    stop: async () => {
      await app?.close();
      await raw?.stop();
      setImmediate(() => process.exit(0));
    },
  },
  loadedNestVersion(),
);
