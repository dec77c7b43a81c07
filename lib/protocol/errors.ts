import { types } from 'node:util';
import { RpcException } from '@nestjs/microservices';

/** True for an Error from any realm (errors thrown by Node's own modules under a VM context fail `instanceof`). */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** JSON-RPC 2.0 error codes used by clamator. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Lowest code of the application-defined range (-32099..-32000). */
  ApplicationMin: -32099,
  /** Highest code of the application-defined range; the default for application errors. */
  ApplicationMax: -32000,
} as const;

/** Standard message of each reserved code. */
export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [ErrorCode.ParseError]: 'Parse error',
  [ErrorCode.InvalidRequest]: 'Invalid Request',
  [ErrorCode.MethodNotFound]: 'Method not found',
  [ErrorCode.InvalidParams]: 'Invalid params',
  [ErrorCode.InternalError]: 'Internal error',
};

/** The `error` member of a JSON-RPC error reply. `data` is always present on the wire, `null` when empty. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data: unknown;
}

/**
 * An error reply from a clamator server: a handler's application error (-32000..-32099) or a
 * protocol error (-32700..-32603). Throw it from a handler to reply with this exact error, with or
 * without `ClamatorExceptionFilter`: it is an `RpcException`, which Nest's default filter passes on.
 */
export class ClamatorRpcError extends RpcException {
  override readonly name = 'ClamatorRpcError';
  /** JSON-RPC error code. */
  readonly code: number;
  /** Structured detail; `null` when there is none. */
  readonly data: unknown;

  constructor(code: number, message: string, data: unknown = null) {
    super({ code, message, data });
    this.code = code;
    this.data = data;
  }

  /** The wire form of this error. */
  toJSON(): JsonRpcErrorObject {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/**
 * A call got no reply within its timeout (or Redis did not confirm a notification in time). The
 * request may still run on the server: a timeout is not sent to it.
 */
export class ClamatorTimeoutError extends Error {
  override readonly name = 'ClamatorTimeoutError';

  constructor(
    /** `service.method` of the call. */
    readonly method: string,
    /** The timeout that elapsed, in milliseconds. */
    readonly timeoutMs: number,
    message = `No reply to ${method} within ${timeoutMs} ms. The request may still be handled by the server.`,
  ) {
    super(message);
  }
}

/** The transport could not carry a call: the connection was lost, the client was closed, or Redis refused a write. */
export class ClamatorTransportError extends Error {
  override readonly name = 'ClamatorTransportError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for an integer code the wire can carry. */
function isErrorCode(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** Own enumerable fields of an error whose values are JSON primitives (e.g. `errno`, `statusCode`). */
function simpleOwnFields(error: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    const kind = typeof value;
    if (value === null || kind === 'string' || kind === 'boolean' || (kind === 'number' && Number.isFinite(value))) {
      fields[key] = value;
    }
  }
  return fields;
}

/** -32603 with `data: { name, message, ...simple own fields }`, the reply for an unexpected failure. */
export function internalErrorFrom(error: unknown): JsonRpcErrorObject {
  if (isError(error)) {
    return {
      code: ErrorCode.InternalError,
      message: ERROR_MESSAGES[ErrorCode.InternalError],
      data: { ...simpleOwnFields(error), name: error.name, message: error.message },
    };
  }
  return {
    code: ErrorCode.InternalError,
    message: ERROR_MESSAGES[ErrorCode.InternalError],
    data: { name: typeof error, message: typeof error === 'string' ? error : safeJson(error) },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Turns what a handler's observable errored with into the `error` member of a reply.
 * A `ClamatorRpcError` or a `{ code, message, data? }` object (what `RpcException` and
 * `ClamatorExceptionFilter` produce) is kept as it is; anything else, including the output of
 * Nest's default exception filter, becomes -32603.
 */
export function toJsonRpcError(error: unknown): JsonRpcErrorObject {
  if (error instanceof ClamatorRpcError) return error.toJSON();
  if (error !== null && typeof error === 'object' && !isError(error)) {
    const { code, message, data } = error as Record<string, unknown>;
    if (isErrorCode(code) && typeof message === 'string') {
      return { code, message, data: data ?? null };
    }
    if (typeof message === 'string') {
      // Nest's default RPC filter answers `{ status: 'error', message }`.
      return {
        code: ErrorCode.InternalError,
        message: ERROR_MESSAGES[ErrorCode.InternalError],
        data: { name: 'Error', message },
      };
    }
  }
  return internalErrorFrom(error);
}

/** Builds the error object of a reserved code, with its standard message. */
export function protocolError(code: number, data: unknown = null): JsonRpcErrorObject {
  return { code, message: ERROR_MESSAGES[code] ?? 'Server error', data };
}
