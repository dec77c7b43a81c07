import { ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError } from '../protocol/errors.js';
import type { ClamatorMetadata } from '../protocol/metadata.js';
import type { RpcFailure, RpcOutcome } from '../telemetry/rpc-telemetry.js';

/** How a call's failure counts in traces and metrics. */
export function outcomeOf(error: Error): RpcOutcome {
  if (error instanceof ClamatorTimeoutError) return 'timeout';
  if (error instanceof ClamatorTransportError) return 'transport';
  return 'error';
}

/** An error reply's code and message for the span, or the failure's message. */
export function failureOf(error: Error): RpcFailure {
  return error instanceof ClamatorRpcError ? { code: error.code, message: error.message } : { message: error.message };
}

/** The metadata of a traced call as JSON: nothing when it holds nothing (no trace context was injected). */
export function encodeTracedMetadata(metadata: ClamatorMetadata | undefined): string | undefined {
  if (metadata === undefined) return undefined;
  for (const _key in metadata) return JSON.stringify(metadata);
  return undefined;
}
