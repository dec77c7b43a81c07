/**
 * Soak run (not part of `npm test`): 100 000 calls through a ClamatorServer and a ClamatorClient in
 * this process, printing heap and RSS after a forced GC before, during and after, to spot leaks.
 * `api` is `call` (`client.call`, the default) or `send` (`firstValueFrom(client.send(...))`, the Nest way).
 *
 *   node --expose-gc --import ./scripts/register-ts.mjs scripts/soak.ts [calls] [lanes] [api]
 *
 * Uses $REDIS_URL when set, else starts a throwaway redis-server of its own.
 */
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { ClamatorClient, ClamatorServer } from '../lib/index.js';
import { freePort, spawnRedis } from '../test/utils/redis-process.mjs';

@Controller()
class SoakController {
  @MessagePattern('soak.add')
  add(@Payload() params: { a: number; b: number }) {
    return { sum: params.a + params.b };
  }
}

@Module({ controllers: [SoakController] })
class SoakModule {}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function collect(): NodeJS.MemoryUsage {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage();
}

function report(label: string, memory: NodeJS.MemoryUsage): void {
  process.stdout.write(
    `${label.padEnd(14)} heapUsed ${mb(memory.heapUsed).padStart(9)}  heapTotal ${mb(memory.heapTotal).padStart(9)}  ` +
      `rss ${mb(memory.rss).padStart(9)}  external ${mb(memory.external).padStart(8)}\n`,
  );
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 100_000);
  const lanes = Number(process.argv[3] ?? 100);
  const api = process.argv[4] ?? 'call';
  if (api !== 'call' && api !== 'send') throw new Error(`api must be call or send, got ${api}`);
  if (!gc) process.stdout.write('warning: run node with --expose-gc for comparable numbers\n');

  let redisProcess: ChildProcess | undefined;
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const port = await freePort();
    redisProcess = (await spawnRedis(port)).child;
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  const keyPrefix = `soak:${randomUUID().slice(0, 8)}`;
  const server = new ClamatorServer({ keyPrefix, redisUrl, concurrency: 32, maintenanceIntervalMs: 1000 });
  const app = await NestFactory.createMicroservice(SoakModule, { strategy: server, logger: ['error', 'warn'] });
  await app.listen();
  const client = new ClamatorClient({ keyPrefix, redisUrl });

  let next = 0;
  let wrong = 0;
  const run = async (count: number): Promise<void> => {
    const end = next + count;
    const lane = async (): Promise<void> => {
      while (next < end) {
        const n = next++;
        const params = { a: n, b: 1 };
        const { sum } =
          api === 'send'
            ? await firstValueFrom(client.send<{ sum: number }>('soak.add', params))
            : await client.call<{ sum: number }>('soak', 'add', params);
        if (sum !== n + 1) wrong += 1;
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  };

  await run(2_000); // warm-up: JIT, connection buffers, Nest's first-call paths
  const before = collect();
  report('before', before);
  const started = Date.now();
  const step = Math.max(1, Math.floor(total / 10));
  for (let done = 0; done < total; done += step) {
    await run(Math.min(step, total - done));
    report(`after ${Math.min(done + step, total)}`, collect());
  }
  const seconds = (Date.now() - started) / 1000;
  const after = collect();

  const probe = new Redis(redisUrl);
  const [pending] = (await probe.xpending(`${keyPrefix}:cmds:soak`, 'soak')) as [number];
  const streamLength = await probe.xlen(`${keyPrefix}:cmds:soak`);
  process.stdout.write(
    `${total} calls in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} calls/s, ${lanes} in flight), wrong answers ${wrong}\n` +
      `heapUsed ${after.heapUsed - before.heapUsed >= 0 ? '+' : ''}${mb(after.heapUsed - before.heapUsed)}, ` +
      `rss ${after.rss - before.rss >= 0 ? '+' : ''}${mb(after.rss - before.rss)}; ` +
      `client pendingCount ${client.pendingCount}; group pending ${pending}; command stream length ${streamLength}\n`,
  );

  await client.close();
  await app.close();
  await probe.quit();
  redisProcess?.kill('SIGTERM');
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
