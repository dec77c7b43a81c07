import { JSONRPC_VERSION } from './constants.js';
import { ErrorCode, type JsonRpcErrorObject, protocolError } from './errors.js';
import { describeRouteViolation, splitQualifiedMethod } from './names.js';

/** A JSON-RPC id as clamator peers send it: a string (UUID) or an integer. */
export type JsonRpcId = string | number;

/** Params of a clamator call: always an object (missing params mean `{}`). */
export type JsonRpcParams = Record<string, unknown>;

/** A request or notification read off a command stream, ready for its handler. */
export interface InboundCall {
  readonly kind: 'call';
  /** The JSON-RPC id; `null` for a notification. */
  readonly id: JsonRpcId | null;
  readonly service: string;
  readonly method: string;
  readonly params: JsonRpcParams;
}

/** An entry that is not a valid clamator request for this stream. */
export interface InboundInvalid {
  readonly kind: 'invalid';
  /** The request's id when it could be read, else `null`. */
  readonly id: JsonRpcId | null;
  readonly error: JsonRpcErrorObject;
  /**
   * A well-formed notification (valid JSON-RPC object without id) never gets a reply, even when
   * it cannot be handled. Anything else that names a reply stream gets the error reply.
   */
  readonly isNotification: boolean;
}

export type InboundEntry = InboundCall | InboundInvalid;

/** A reply read off a reply stream. */
export type InboundReply =
  | { readonly id: JsonRpcId; readonly result: unknown; readonly error?: undefined }
  | { readonly id: JsonRpcId | null; readonly error: JsonRpcErrorObject; readonly result?: undefined };

function isId(value: unknown): value is JsonRpcId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Encodes a request envelope. */
export function encodeRequest(service: string, method: string, params: unknown, id: JsonRpcId): string {
  return JSON.stringify({ jsonrpc: JSONRPC_VERSION, method: `${service}.${method}`, params: params ?? {}, id });
}

/** Encodes a notification envelope (a request without id). */
export function encodeNotification(service: string, method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: JSONRPC_VERSION, method: `${service}.${method}`, params: params ?? {} });
}

/** Encodes a success reply; an `undefined` result is sent as `null`. */
export function encodeResult(id: JsonRpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: JSONRPC_VERSION, id, result: result === undefined ? null : result });
}

/** Encodes an error reply; `data` is always present. */
export function encodeError(id: JsonRpcId | null, error: JsonRpcErrorObject): string {
  return JSON.stringify({
    jsonrpc: JSONRPC_VERSION,
    id,
    error: { code: error.code, message: error.message, data: error.data === undefined ? null : error.data },
  });
}

function invalid(id: JsonRpcId | null, code: number, reason: string | null, isNotification = false): InboundInvalid {
  return { kind: 'invalid', id, error: protocolError(code, reason === null ? null : { reason }), isNotification };
}

/**
 * Decodes the `envelope` field of a command-stream entry read from the stream of `streamService`.
 * Never throws: every defect becomes an `InboundInvalid` with the JSON-RPC error to reply with.
 */
export function decodeInbound(raw: string | undefined, streamService: string): InboundEntry {
  if (raw === undefined) return invalid(null, ErrorCode.InvalidRequest, 'entry has no envelope field');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return invalid(null, ErrorCode.ParseError, (error as Error).message);
  }
  if (Array.isArray(parsed)) return invalid(null, ErrorCode.InvalidRequest, 'batch requests are not supported');
  if (!isPlainObject(parsed)) return invalid(null, ErrorCode.InvalidRequest, 'envelope must be a JSON object');

  const rawId = parsed.id;
  const hasId = rawId !== undefined && rawId !== null;
  if (hasId && !isId(rawId)) return invalid(null, ErrorCode.InvalidRequest, 'id must be a string or an integer');
  const id = hasId ? (rawId as JsonRpcId) : null;

  if (parsed.jsonrpc !== JSONRPC_VERSION) return invalid(id, ErrorCode.InvalidRequest, 'jsonrpc must be "2.0"');
  if (typeof parsed.method !== 'string') return invalid(id, ErrorCode.InvalidRequest, 'method must be a string');
  const route = splitQualifiedMethod(parsed.method);
  const violation = route ? describeRouteViolation(route, true) : 'method must be "<service>.<method>"';
  if (violation || !route) return invalid(id, ErrorCode.InvalidRequest, violation);

  const isNotification = !hasId;
  if (route.service !== streamService) {
    return invalid(
      id,
      ErrorCode.InvalidRequest,
      `service "${route.service}" does not match the stream of service "${streamService}"`,
      isNotification,
    );
  }
  const params = parsed.params;
  if (params !== undefined && params !== null && !isPlainObject(params)) {
    const code = Array.isArray(params) ? ErrorCode.InvalidParams : ErrorCode.InvalidRequest;
    return invalid(id, code, 'params must be an object', isNotification);
  }
  return { kind: 'call', id, service: route.service, method: route.method, params: (params ?? {}) as JsonRpcParams };
}

/** Decodes a reply envelope; `null` when it is not a JSON-RPC response. */
export function decodeReply(raw: string | undefined): InboundReply | null {
  if (raw === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isPlainObject(parsed)) return null;
  const id = parsed.id;
  if (isPlainObject(parsed.error)) {
    const { code, message, data } = parsed.error;
    if (typeof code !== 'number') return null;
    return {
      id: isId(id) ? id : null,
      error: { code, message: typeof message === 'string' ? message : '', data: data ?? null },
    };
  }
  if (!isId(id) || !('result' in parsed)) return null;
  return { id, result: parsed.result };
}
