// OpenTelemetry for the trace demo, set up as an application would before it starts: spans kept in
// memory (a real application exports them, e.g. with an OTLP exporter), W3C trace context, and an
// async-hooks context manager so that spans follow the request through awaits.
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The tracing of one process: what it has recorded, and how to stop it. */
export interface Tracing {
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** Unregisters everything. */
  shutdown(): Promise<void>;
}

/** Registers a tracer provider, the W3C propagator and a context manager, globally. */
export function startTracing(): Tracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncHooksContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

const KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];

/** The spans of one trace as an indented tree: name, kind, duration, status and the RPC attributes. */
export function traceTree(spans: readonly ReadableSpan[], traceId: string): string[] {
  const ofTrace = spans.filter((span) => span.spanContext().traceId === traceId);
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(ofTrace.map((span) => span.spanContext().spanId));
  for (const span of ofTrace) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startTime[1] - b.startTime[1] + (a.startTime[0] - b.startTime[0]) * 1e9)) {
      const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
      const code = span.attributes['rpc.jsonrpc.error_code'];
      const status = span.status.code === 2 ? ` ERROR${code === undefined ? '' : ` ${String(code)}`}` : '';
      lines.push(`${'  '.repeat(depth)}${span.name} [${KINDS[span.kind]}] ${ms.toFixed(1)} ms${status}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}
