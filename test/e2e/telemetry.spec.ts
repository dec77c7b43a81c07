/**
 * OpenTelemetry with the real SDK (in-memory span exporter, async-hooks context manager, W3C
 * propagation, an in-memory metric reader): one trace from a caller's span through the call to the
 * handler and back, RPC semantic-convention names, kinds and attributes, error status on error
 * replies and timeouts, notifications as PRODUCER/CONSUMER, metrics, and `telemetry: false`.
 */
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ClamatorClient, ClamatorContext, ClamatorExceptionFilter, ClamatorTimeoutError, type ClamatorServer } from '../../lib/index.js';
import { startMicroservice } from '../utils/nest-apps.js';
import { redisUrl, TestConnections, uniquePrefix, waitFor } from '../utils/redis.js';

/** A metric reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const reader = new CollectingReader();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncHooksContextManager();

const noted: string[] = [];

@Controller()
class TelController {
  @MessagePattern('tel.add')
  async add(@Payload() { a, b }: { a: number; b: number }) {
    // A span of the handler's own joins the trace under the server span.
    await trace.getTracer('handler').startActiveSpan('handler-work', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      span.end();
    });
    return a + b;
  }

  @MessagePattern('tel.refuse')
  refuse(): never {
    throw new RpcException({ code: -32010, message: 'Out of stock', data: null });
  }

  @MessagePattern('tel.slow')
  async slow() {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return 'late';
  }

  @EventPattern<string>('tel.note')
  note(@Payload() { n }: { n: string }, @Ctx() _ctx: ClamatorContext) {
    noted.push(n);
  }
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** The data points of a metric, by its name, from one collection. */
type Point = { attributes: Record<string, unknown>; value: unknown };
function points(collected: ResourceMetrics, name: string): Point[] {
  return collected.scopeMetrics.flatMap((scope) =>
    scope.metrics.filter((metric) => metric.descriptor.name === name).flatMap((metric) => metric.dataPoints as unknown as Point[]),
  );
}

describe('OpenTelemetry', () => {
  const connections = new TestConnections();
  const keyPrefix = uniquePrefix('telemetry');
  let app: Awaited<ReturnType<typeof startMicroservice>>['app'];
  let server: ClamatorServer;
  let client: ClamatorClient;

  beforeAll(async () => {
    // The SDK is set up before the transport starts, as OpenTelemetry asks.
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    ({ app, server } = await startMicroservice([TelController], { keyPrefix, redisUrl: redisUrl() }, (micro) =>
      micro.useGlobalFilters(new ClamatorExceptionFilter()),
    ));
    client = new ClamatorClient({ keyPrefix, redisUrl: redisUrl() });
    await client.connect();
  });

  afterAll(async () => {
    await client.close();
    await app.close();
    await connections.closeAll();
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });

  beforeEach(() => exporter.reset());

  it('makes one trace from the caller through the call to the handler and back, with RPC names, kinds and attributes', async () => {
    const sum = await trace.getTracer('gateway').startActiveSpan('GET /add', async (gateway) => {
      try {
        return await client.call<number>('tel', 'add', { a: 2, b: 3 });
      } finally {
        gateway.end();
      }
    });
    expect(sum).toBe(5);
    await waitFor(() => spansNamed('tel/add').length === 2 && spansNamed('handler-work').length === 1, 5000, 'the spans');
    const [gateway] = spansNamed('GET /add');
    const clientSpan = spansNamed('tel/add').find((span) => span.kind === SpanKind.CLIENT) as ReadableSpan;
    const serverSpan = spansNamed('tel/add').find((span) => span.kind === SpanKind.SERVER) as ReadableSpan;
    const [handlerWork] = spansNamed('handler-work');
    const traceId = gateway.spanContext().traceId;
    for (const span of [clientSpan, serverSpan, handlerWork]) expect(span.spanContext().traceId).toBe(traceId);
    expect(parentOf(clientSpan)).toBe(gateway.spanContext().spanId);
    expect(parentOf(serverSpan)).toBe(clientSpan.spanContext().spanId);
    expect(parentOf(handlerWork)).toBe(serverSpan.spanContext().spanId);
    for (const span of [clientSpan, serverSpan]) {
      expect(span.attributes).toMatchObject({ 'rpc.system': 'jsonrpc', 'rpc.service': 'tel', 'rpc.method': 'add' });
      expect(span.attributes['rpc.jsonrpc.request_id']).toEqual(expect.any(String));
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    expect(serverSpan.attributes['rpc.jsonrpc.request_id']).toBe(clientSpan.attributes['rpc.jsonrpc.request_id']);
  });

  it('marks error replies and timeouts with an error status and the JSON-RPC error code', async () => {
    await expect(client.call('tel', 'refuse', {})).rejects.toMatchObject({ code: -32010 });
    await expect(client.call('tel', 'slow', {}, { timeoutMs: 100 })).rejects.toBeInstanceOf(ClamatorTimeoutError);
    await waitFor(() => spansNamed('tel/refuse').length === 2 && spansNamed('tel/slow').length === 2, 5000, 'the spans');
    for (const span of spansNamed('tel/refuse')) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['rpc.jsonrpc.error_code']).toBe(-32010);
    }
    const timedOut = spansNamed('tel/slow').find((span) => span.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(timedOut.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(timedOut.status.message).toMatch(/No reply to tel\.slow within 100 ms/);
  });

  it('traces notifications as PRODUCER and CONSUMER spans of one trace', async () => {
    await client.notify('tel', 'note', { n: 'x' });
    await waitFor(() => spansNamed('tel/note').length === 2, 5000, 'the spans');
    const producer = spansNamed('tel/note').find((span) => span.kind === SpanKind.PRODUCER) as ReadableSpan;
    const consumer = spansNamed('tel/note').find((span) => span.kind === SpanKind.CONSUMER) as ReadableSpan;
    expect(consumer.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(producer.attributes['rpc.jsonrpc.request_id']).toBeUndefined();
  });

  it('records call durations and outcomes, at the client and at the server', async () => {
    await client.call('tel', 'add', { a: 1, b: 1 });
    await client.call('tel', 'refuse', {}).catch(() => undefined);
    const { resourceMetrics } = await reader.collect();
    const clientDurations = points(resourceMetrics, 'rpc.client.duration');
    const serverDurations = points(resourceMetrics, 'rpc.server.duration');
    expect(clientDurations.some(({ attributes }) => attributes['rpc.method'] === 'add' && attributes['clamator.outcome'] === 'ok')).toBe(true);
    expect(serverDurations.some(({ attributes }) => attributes['rpc.method'] === 'refuse' && attributes['rpc.jsonrpc.error_code'] === -32010)).toBe(true);
    const calls = points(resourceMetrics, 'clamator.rpc.calls');
    const count = (side: string, method: string, outcome: string) =>
      calls
        .filter(({ attributes }) => attributes['clamator.side'] === side && attributes['rpc.method'] === method && attributes['clamator.outcome'] === outcome)
        .reduce((sum, { value }) => sum + Number(value), 0);
    expect(count('client', 'add', 'ok')).toBeGreaterThanOrEqual(1);
    expect(count('server', 'refuse', 'error')).toBeGreaterThanOrEqual(1);
    expect(count('client', 'slow', 'timeout')).toBeGreaterThanOrEqual(1);
  });

  it('reports pending entries and lag per group when the SDK collects', async () => {
    const redis = connections.open();
    const stream = `${keyPrefix}:cmds:tel`;
    // A slow call is pending in the service's group while its handler runs.
    const slow = client.call('tel', 'slow', {}, { timeoutMs: 5000 });
    await waitFor(async () => Number(((await redis.xpending(stream, 'tel')) as [number])[0]) === 1, 5000, 'the slow call to be pending');
    const { resourceMetrics } = await reader.collect();
    const pending = points(resourceMetrics, 'clamator.entries.pending').find(({ attributes }) => attributes['clamator.group'] === 'tel');
    expect(pending).toMatchObject({ attributes: { 'rpc.service': 'tel' }, value: 1 });
    const lag = points(resourceMetrics, 'clamator.consumer.lag').find(({ attributes }) => attributes['clamator.group'] === 'tel');
    expect(lag?.value).toBe(0);
    await slow;
  });

  it('counts dead letters', async () => {
    const redis = connections.open();
    // A request whose reply-to is outside the prefix is not run: it goes to the dead-letter stream.
    await redis.xadd(`${keyPrefix}:cmds:tel`, '*', 'type', 'rpc', 'envelope', JSON.stringify({ jsonrpc: '2.0', method: 'tel.add', params: {}, id: 1 }), 'reply-to', 'elsewhere');
    await waitFor(async () => (await redis.xlen(`${keyPrefix}:dead:tel`)) === 1, 5000, 'the dead letter');
    const { resourceMetrics } = await reader.collect();
    expect(points(resourceMetrics, 'clamator.dead_letters').reduce((sum, { value }) => sum + Number(value), 0)).toBe(1);
    expect(server.options.telemetry).toBe(true);
  });

  it('traces nothing for a client with telemetry: false', async () => {
    const quiet = new ClamatorClient({ keyPrefix, redisUrl: redisUrl(), telemetry: false });
    try {
      await expect(quiet.call('tel', 'refuse', {})).rejects.toMatchObject({ code: -32010 });
      await waitFor(() => spansNamed('tel/refuse').length === 1, 5000, 'the server span');
      expect(spansNamed('tel/refuse').map((span) => span.kind)).toEqual([SpanKind.SERVER]);
      expect(parentOf(spansNamed('tel/refuse')[0])).toBeUndefined();
    } finally {
      await quiet.close();
    }
  });
});
