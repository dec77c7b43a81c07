import type { Attributes, BatchObservableCallback, Context, Counter, Histogram, Meter, Span, Tracer } from '@opentelemetry/api';
import { settlesWithin } from '../streams/connections/bounded-wait.js';
import type { ClamatorMetadata } from '../protocol/metadata.js';
import { INSTRUMENTATION_NAME, loadOpenTelemetry, type OpenTelemetry } from './opentelemetry.js';

/** How a call or notification ended, as the metrics count it. */
export type RpcOutcome = 'ok' | 'error' | 'timeout' | 'transport';

/** An error reply's code and message, or the message of a failure without one. */
export interface RpcFailure {
  readonly code?: number;
  readonly message: string;
}

/** One traced call or notification of a client, until it settles. */
export interface ClientRpc {
  /** The metadata to send: the caller's, plus the W3C trace context of the client's span. */
  readonly metadata: ClamatorMetadata | undefined;
  /** Ends the span (error status for anything but `ok`) and records the duration and outcome. */
  end(outcome: RpcOutcome, failure?: RpcFailure): void;
}

/** What a server's groups hold right now, for the gauges. */
export interface GroupGauge {
  readonly service: string;
  readonly group: string;
  /** Delivered and not acknowledged. */
  readonly pending: number;
  /** Not yet delivered to the group; `null` when Redis cannot tell. */
  readonly lag: number | null;
}

/** How long a collection may wait for the group gauges before it reports none (Redis down or frozen). */
const GAUGE_READ_BOUND_MS = 1_000;

/** How often, while no tracer provider is registered, the transport looks again for one. */
const TRACER_PROVIDER_RECHECK_MS = 1_000;

/** What the metric instruments record, when an SDK is registered. */
interface Instruments {
  readonly clientDuration: Histogram;
  readonly serverDuration: Histogram;
  readonly calls: Counter;
  readonly deadLetters: Counter;
}

/**
 * OpenTelemetry traces and metrics of one client or server, after OpenTelemetry's RPC semantic
 * conventions: a span `<service>/<method>` per call (CLIENT, and SERVER around the handler) and per
 * notification (PRODUCER, CONSUMER), with `rpc.system` = `jsonrpc`, `rpc.service`, `rpc.method`,
 * `rpc.jsonrpc.request_id`, and `rpc.jsonrpc.error_code` with an error status when it fails; the
 * trace context travels in the entry's metadata (`traceparent`, `tracestate`). Metrics:
 * `rpc.client.duration` and `rpc.server.duration` (ms), `clamator.rpc.calls` by outcome,
 * `clamator.dead_letters`, and per group `clamator.entries.pending` and `clamator.consumer.lag`.
 *
 * Made only when `@opentelemetry/api` is installed. Without an SDK its tracer hands out invalid,
 * non-recording spans and its meter is the no-op one: both are recognised, and then a call costs a
 * span object and nothing else.
 */
export class RpcTelemetry {
  /** Whether a tracer provider (an SDK) is registered, as last seen, and when to look again while none is. */
  private tracing = false;
  private tracingCheckedAtMs = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly otel: OpenTelemetry,
    private readonly tracer: Tracer,
    private readonly instruments: Instruments | undefined,
    private readonly meter: Meter | undefined,
  ) {}

  /** The telemetry of one endpoint; `undefined` when turned off or when `@opentelemetry/api` is not installed. */
  static async create(enabled: boolean): Promise<RpcTelemetry | undefined> {
    if (!enabled) return undefined;
    const otel = await loadOpenTelemetry();
    if (!otel) return undefined;
    const tracer = otel.trace.getTracer(INSTRUMENTATION_NAME);
    // The metrics API has no proxy: a meter taken before an SDK is registered stays a no-op one.
    const meter = otel.metrics.getMeter(INSTRUMENTATION_NAME);
    const metered = meter.constructor !== otel.createNoopMeter().constructor;
    const instruments = metered
      ? {
          clientDuration: meter.createHistogram('rpc.client.duration', { unit: 'ms', description: 'Duration of clamator calls and notifications, at the caller' }),
          serverDuration: meter.createHistogram('rpc.server.duration', { unit: 'ms', description: 'Duration of clamator handlers' }),
          calls: meter.createCounter('clamator.rpc.calls', { description: 'Calls and notifications by side and outcome' }),
          deadLetters: meter.createCounter('clamator.dead_letters', { description: 'Entries moved to a dead-letter stream' }),
        }
      : undefined;
    return new RpcTelemetry(otel, tracer, instruments, metered ? meter : undefined);
  }

  /**
   * Starts the client side of a call (`id` given) or notification, as a child of the active span;
   * `undefined` when there is nothing to trace or measure (no SDK).
   */
  clientRpc(service: string, method: string, id: string | undefined, metadata: ClamatorMetadata | undefined): ClientRpc | undefined {
    if (!this.instruments && !this.tracingRegistered()) return undefined;
    const { context, propagation, trace, SpanKind } = this.otel;
    const parent = context.active();
    const span = this.tracer.startSpan(`${service}/${method}`, { kind: id === undefined ? SpanKind.PRODUCER : SpanKind.CLIENT }, parent);
    const traced = this.otel.isSpanContextValid(span.spanContext());
    if (!traced && !this.instruments) return undefined;
    let carrier = metadata;
    if (traced) {
      if (span.isRecording()) span.setAttributes(rpcAttributes(service, method, id));
      carrier = { ...metadata };
      propagation.inject(trace.setSpan(parent, span), carrier);
    }
    const startedAt = performance.now();
    return {
      metadata: carrier,
      end: (outcome, failure) => {
        this.finish(span, outcome, failure);
        this.measure('client', service, method, outcome, failure, performance.now() - startedAt);
      },
    };
  }

  /**
   * Runs a handler's `work` in a SERVER (request) or CONSUMER (notification) span that continues the
   * caller's trace from `metadata`, and records its duration and outcome. `failureOf` says what a
   * rejection of `work` means for the caller.
   */
  serverRpc<T>(
    service: string,
    method: string,
    id: string | number | null,
    metadata: ClamatorMetadata | undefined,
    work: () => Promise<T>,
    failureOf: (error: unknown) => RpcFailure,
  ): Promise<T> {
    if (!this.instruments && !this.tracingRegistered()) return work();
    const { context, propagation, trace, SpanKind, ROOT_CONTEXT } = this.otel;
    const parent: Context = metadata === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, metadata);
    const span = this.tracer.startSpan(`${service}/${method}`, { kind: id === null ? SpanKind.CONSUMER : SpanKind.SERVER }, parent);
    if (!this.otel.isSpanContextValid(span.spanContext()) && !this.instruments) return work();
    if (span.isRecording()) span.setAttributes(rpcAttributes(service, method, id ?? undefined));
    const startedAt = performance.now();
    const done = (outcome: RpcOutcome, failure?: RpcFailure) => {
      this.finish(span, outcome, failure);
      this.measure('server', service, method, outcome, failure, performance.now() - startedAt);
    };
    return context.with(trace.setSpan(parent, span), work).then(
      (result) => {
        done('ok');
        return result;
      },
      (error: unknown) => {
        done('error', failureOf(error));
        throw error;
      },
    );
  }

  /**
   * Reports `clamator.entries.pending` and `clamator.consumer.lag` per service and group, read from
   * Redis by `read` when the SDK collects (never on the hot path). A collection that Redis does not
   * answer within a second reports nothing for them. Returns the function that stops the reports.
   */
  observeGroups(read: () => Promise<readonly GroupGauge[]>): () => void {
    const { meter } = this;
    if (!meter) return () => undefined;
    const pending = meter.createObservableGauge('clamator.entries.pending', { description: 'Entries delivered to a group and not acknowledged' });
    const lag = meter.createObservableGauge('clamator.consumer.lag', { description: 'Entries of a command stream not yet delivered to a group' });
    const observe: BatchObservableCallback = async (result) => {
      const reading = read();
      if (!(await settlesWithin(reading, GAUGE_READ_BOUND_MS))) return;
      const groups = await reading.catch(() => []);
      for (const group of groups) {
        const attributes = { 'rpc.system': 'jsonrpc', 'rpc.service': group.service, 'clamator.group': group.group };
        result.observe(pending, group.pending, attributes);
        if (group.lag !== null) result.observe(lag, group.lag, attributes);
      }
    };
    meter.addBatchObservableCallback(observe, [pending, lag]);
    return () => meter.removeBatchObservableCallback(observe, [pending, lag]);
  }

  /**
   * True once a tracer provider is registered. The API hands out a proxy provider that delegates to
   * the SDK's once there is one: while it has none, every span would be a no-op, so none is made at
   * all (looked at again every second, for an SDK registered late).
   */
  private tracingRegistered(): boolean {
    if (this.tracing) return true;
    const now = Date.now();
    if (now - this.tracingCheckedAtMs < TRACER_PROVIDER_RECHECK_MS) return false;
    this.tracingCheckedAtMs = now;
    const provider = this.otel.trace.getTracerProvider() as { getDelegateTracer?: (name: string) => unknown };
    // Not the API's proxy: some other provider was set directly; spans decide for themselves.
    this.tracing = typeof provider.getDelegateTracer !== 'function' || provider.getDelegateTracer(INSTRUMENTATION_NAME) !== undefined;
    return this.tracing;
  }

  /** Counts an entry moved to the dead-letter stream of `service`. */
  deadLettered(service: string): void {
    this.instruments?.deadLetters.add(1, { 'rpc.system': 'jsonrpc', 'rpc.service': service });
  }

  private finish(span: Span, outcome: RpcOutcome, failure: RpcFailure | undefined): void {
    if (span.isRecording() && outcome !== 'ok') {
      if (failure?.code !== undefined) span.setAttribute('rpc.jsonrpc.error_code', failure.code);
      if (failure?.code !== undefined) span.setAttribute('rpc.jsonrpc.error_message', failure.message);
      span.setStatus({ code: this.otel.SpanStatusCode.ERROR, message: failure?.message ?? outcome });
    }
    span.end();
  }

  private measure(side: 'client' | 'server', service: string, method: string, outcome: RpcOutcome, failure: RpcFailure | undefined, durationMs: number): void {
    const { instruments } = this;
    if (!instruments) return;
    const attributes: Attributes = { 'rpc.system': 'jsonrpc', 'rpc.service': service, 'rpc.method': method, 'clamator.outcome': outcome };
    if (failure?.code !== undefined) attributes['rpc.jsonrpc.error_code'] = failure.code;
    (side === 'client' ? instruments.clientDuration : instruments.serverDuration).record(durationMs, attributes);
    instruments.calls.add(1, { ...attributes, 'clamator.side': side });
  }
}

function rpcAttributes(service: string, method: string, id: string | number | undefined): Attributes {
  const attributes: Attributes = { 'rpc.system': 'jsonrpc', 'rpc.service': service, 'rpc.method': method, 'rpc.jsonrpc.version': '2.0' };
  if (id !== undefined) attributes['rpc.jsonrpc.request_id'] = String(id);
  return attributes;
}
