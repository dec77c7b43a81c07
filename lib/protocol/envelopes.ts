import { JSONRPC_VERSION } from './constants.js';
import { ErrorCode, type JsonRpcErrorObject, protocolError } from './errors.js';
import { describeRouteViolation, splitQualifiedMethod } from './names.js';
import { topLevelMemberText } from './top-level-member.js';

/** A JSON-RPC id as clamator peers send it: a string (UUID) or an integer. */
export type JsonRpcId = string | number;

/** Params of a clamator call: always an object (missing params mean `{}`). */
export type JsonRpcParams = Record<string, unknown>;

/** A request or notification read off a command stream, ready for its handler. */
export interface InboundCall {
  readonly kind: 'call';
  /** The JSON-RPC id; `null` for a notification. */
  readonly id: JsonRpcId | null;
  /** The id exactly as written, when it is an integer beyond what `id` (a double) holds exactly; replies echo this text. */
  readonly idJson?: string;
  readonly service: string;
  readonly method: string;
  readonly params: JsonRpcParams;
}

/** An entry that is not a valid clamator request for this stream. */
export interface InboundInvalid {
  readonly kind: 'invalid';
  /** The request's id when it could be read, else `null`. */
  readonly id: JsonRpcId | null;
  /** The id exactly as written, when it is an integer beyond what `id` (a double) holds exactly; replies echo this text. */
  readonly idJson?: string;
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

/** Every reply opens with these members, in this order (peers and tests compare replies byte for byte). */
const REPLY_HEAD = `{"jsonrpc":${JSON.stringify(JSONRPC_VERSION)},"id":`;

/** Text of a reply member's value: what `JSON.stringify` makes of it, `null` for what it cannot write (undefined, functions). */
function memberJson(value: unknown): string {
  return value === undefined ? 'null' : (JSON.stringify(value) ?? 'null');
}

/**
 * Encodes a success reply; an `undefined` result is sent as `null`. `idJson` is the id's exact
 * JSON text when the request's id was an integer a double cannot hold (`InboundCall.idJson`);
 * without it the reply carries `id` as `JSON.stringify` writes it.
 */
export function encodeResult(id: JsonRpcId, result: unknown, idJson?: string): string {
  // Built by hand, in the member order peers have always received, so that `idJson` goes out verbatim.
  return `${REPLY_HEAD}${idJson ?? JSON.stringify(id)},"result":${memberJson(result)}}`;
}

/** Encodes an error reply; `data` is always present (`null` when there is none). `idJson` as for `encodeResult`. */
export function encodeError(id: JsonRpcId | null, error: JsonRpcErrorObject, idJson?: string): string {
  return (
    `${REPLY_HEAD}${idJson ?? JSON.stringify(id)},"error":{"code":${memberJson(error.code)},` +
    `"message":${memberJson(error.message)},"data":${memberJson(error.data)}}}`
  );
}

function invalid(
  id: JsonRpcId | null,
  idJson: string | undefined,
  code: number,
  reason: string | null,
  isNotification = false,
): InboundInvalid {
  return { kind: 'invalid', id, idJson, error: protocolError(code, reason === null ? null : { reason }), isNotification };
}

/** A JSON integer literal (no fraction, no exponent), as the JSON grammar writes one. */
const INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * The exact text of the id of an envelope whose id `JSON.parse` read as an integer beyond
 * +-(2^53 - 1), which it has rounded; `undefined` when that text is not an integer literal. So an
 * id written with a fraction or an exponent whose value lies beyond that range (`1e20`, `1e400`,
 * `12345678901234567890.0`) is refused like any non-integer id. Within the range `JSON.parse`
 * cannot tell `1e2` from `100`, and such an id is read (and echoed) as its value, as before.
 */
function exactIntegerIdText(raw: string): string | undefined {
  const text = topLevelMemberText(raw, 'id');
  return text !== undefined && INTEGER_LITERAL.test(text) ? text : undefined;
}

/**
 * Decodes the `envelope` field of a command-stream entry read from the stream of `streamService`.
 * Never throws: every defect becomes an `InboundInvalid` with the JSON-RPC error to reply with.
 */
export function decodeInbound(raw: string | undefined, streamService: string): InboundEntry {
  if (raw === undefined) return invalid(null, undefined, ErrorCode.InvalidRequest, 'entry has no envelope field');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return invalid(null, undefined, ErrorCode.ParseError, (error as Error).message);
  }
  if (Array.isArray(parsed)) return invalid(null, undefined, ErrorCode.InvalidRequest, 'batch requests are not supported');
  if (!isPlainObject(parsed)) return invalid(null, undefined, ErrorCode.InvalidRequest, 'envelope must be a JSON object');

  const rawId = parsed.id;
  const hasId = rawId !== undefined && rawId !== null;
  if (hasId && !isId(rawId)) return invalid(null, undefined, ErrorCode.InvalidRequest, 'id must be a string or an integer');
  const id = hasId ? (rawId as JsonRpcId) : null;
  let idJson: string | undefined;
  if (typeof id === 'number' && !Number.isSafeInteger(id)) {
    // Only an id JSON.parse may have rounded costs a second look at the text.
    idJson = exactIntegerIdText(raw);
    if (idJson === undefined) return invalid(null, undefined, ErrorCode.InvalidRequest, 'id must be a string or an integer');
  }

  if (parsed.jsonrpc !== JSONRPC_VERSION) return invalid(id, idJson, ErrorCode.InvalidRequest, 'jsonrpc must be "2.0"');
  if (typeof parsed.method !== 'string') return invalid(id, idJson, ErrorCode.InvalidRequest, 'method must be a string');
  const route = splitQualifiedMethod(parsed.method);
  const violation = route ? describeRouteViolation(route, true) : 'method must be "<service>.<method>"';
  if (violation || !route) return invalid(id, idJson, ErrorCode.InvalidRequest, violation);

  const isNotification = !hasId;
  if (route.service !== streamService) {
    return invalid(
      id,
      idJson,
      ErrorCode.InvalidRequest,
      `service "${route.service}" does not match the stream of service "${streamService}"`,
      isNotification,
    );
  }
  const params = parsed.params;
  if (params !== undefined && params !== null && !isPlainObject(params)) {
    const code = Array.isArray(params) ? ErrorCode.InvalidParams : ErrorCode.InvalidRequest;
    return invalid(id, idJson, code, 'params must be an object', isNotification);
  }
  return { kind: 'call', id, idJson, service: route.service, method: route.method, params: (params ?? {}) as JsonRpcParams };
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
