import type * as OpenTelemetryApi from '@opentelemetry/api';

/** The OpenTelemetry API module, when it is installed (an optional peer dependency). */
export type OpenTelemetry = typeof OpenTelemetryApi;

let loading: Promise<OpenTelemetry | undefined> | undefined;

/**
 * Loads `@opentelemetry/api` once, on the first `connect()` / `listen()` that wants telemetry:
 * an application without it never loads it, and one with it but without an SDK gets the API's
 * no-op tracer and meter, which the transport recognises and skips. Resolves `undefined` when the
 * package is not installed.
 */
export function loadOpenTelemetry(): Promise<OpenTelemetry | undefined> {
  loading ??= import('@opentelemetry/api').then(
    // The package is CommonJS: its names come as named exports, and again under `default`.
    (api) => (typeof api.trace?.getTracer === 'function' ? (api as OpenTelemetry) : (api.default as unknown as OpenTelemetry)),
    () => undefined,
  );
  return loading;
}

/** Instrumentation scope of the spans and metrics: the package's name. */
export const INSTRUMENTATION_NAME = 'nestjs-clamator';
