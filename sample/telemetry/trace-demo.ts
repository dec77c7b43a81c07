// One trace from an HTTP request in the gateway, through a clamator call, to the arith handler and
// back, printed as a tree:
//   REDIS_URL=redis://127.0.0.1:6379 node --import ./scripts/register-ts.mjs sample/telemetry/trace-demo.ts
// Both apps run in this one process to keep the demo short; the call still crosses Redis, and the
// trace context travels in the request's metadata exactly as between two processes.
import 'reflect-metadata';
import { SpanKind, trace } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTracing, traceTree } from './tracing.js';

async function main(): Promise<number> {
  // First: the transport takes its tracer and meter when it connects.
  const tracing = startTracing();
  const { createArithApp } = await import('../arith/arith.module.js');
  const { createGatewayApp } = await import('../gateway/gateway.module.js');
  const keyPrefix = process.env.CLAMATOR_PREFIX || `clamator-trace-demo-${process.pid}`;
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const arith = await createArithApp({ keyPrefix, redisUrl, logger: false });
  await arith.listen();
  const gateway = await createGatewayApp({ keyPrefix, redisUrl, logger: false });
  // A server span per HTTP request (an HTTP instrumentation would make it; here, by hand).
  const tracer = trace.getTracer('trace-demo');
  gateway.use((req: IncomingMessage, res: ServerResponse, next: () => void) =>
    tracer.startActiveSpan(`${req.method} ${(req.url ?? '/').split('?')[0]}`, { kind: SpanKind.SERVER }, (span) => {
      res.on('finish', () => span.end());
      next();
    }),
  );
  await gateway.listen(0, '127.0.0.1');
  const baseUrl = await gateway.getUrl();
  let failures = 0;
  try {
    for (const path of ['/add?a=2&b=3', '/divide?a=1&b=0']) {
      const response = await fetch(`${baseUrl}${path}`);
      console.log(`GET ${path} -> ${response.status} ${await response.text()}`);
      const root = tracing.spans().find((span) => span.name === `GET ${path.split('?')[0]}`);
      if (!root) {
        failures += 1;
        console.log('  no span for the request');
        continue;
      }
      for (const line of traceTree(tracing.spans(), root.spanContext().traceId)) console.log(`  ${line}`);
    }
  } finally {
    await gateway.close();
    await arith.close();
    await tracing.shutdown();
  }
  return failures;
}

main().then(
  (failures) => process.exit(failures === 0 ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
