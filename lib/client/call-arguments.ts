import { type ClamatorRoute, describeRouteViolation, parseOutboundPattern } from '../protocol/names.js';
import type { ReadPacket } from '@nestjs/microservices';
import type { ClamatorMetadata } from '../protocol/metadata.js';
import { MAX_TIMEOUT_MS } from './clamator-client.options.js';
import { ClamatorRecord, mergeMetadata } from './clamator-record.builder.js';

/** Checks a call's target before it goes on the wire, so mistakes fail at the caller, not as a remote error. */
export function assertRoute(service: string, method: string): void {
  if (typeof service !== 'string' || typeof method !== 'string') {
    throw new TypeError(`ClamatorClient: service and method must be strings, got ${typeof service} and ${typeof method}.`);
  }
  const violation = describeRouteViolation({ service, method });
  if (violation) throw new TypeError(`ClamatorClient: cannot call ${service}.${method}: ${violation}.`);
}

/** Checks that params are an object (or absent). */
export function assertParams(route: string, params: unknown): void {
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw new TypeError(`ClamatorClient: params of ${route} must be an object, got ${Array.isArray(params) ? 'an array' : typeof params}.`);
  }
}

/** Checks a per-call timeout. */
export function assertTimeout(timeoutMs: unknown): asserts timeoutMs is number {
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new TypeError(`ClamatorClient: timeoutMs must be an integer between 1 and ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}.`);
  }
}

/** Resolves Nest patterns to routes, remembering string patterns so that the hot path does no parsing. */
export class RouteCache {
  private readonly routes = new Map<string, ClamatorRoute>();

  constructor(private readonly maxEntries = 1024) {}

  resolve(pattern: unknown): ClamatorRoute {
    if (typeof pattern !== 'string') return parseOutboundPattern(pattern);
    let route = this.routes.get(pattern);
    if (!route) {
      route = parseOutboundPattern(pattern);
      if (this.routes.size < this.maxEntries) this.routes.set(pattern, route);
    }
    return route;
  }
}

/** Where a Nest packet goes and what it carries (see `packetTarget`). */
export interface PacketTarget {
  readonly service: string;
  readonly method: string;
  readonly params: unknown;
  readonly metadata: ClamatorMetadata | undefined;
  readonly timeoutMs: number | undefined;
}

/**
 * The route, params, metadata and timeout of a packet of `send()`/`emit()`: the packet's metadata
 * (Nest 12's dispatch hook) travels with it, and a `ClamatorRecord` as data brings its own params,
 * metadata (over the hook's) and timeout. Throws for a pattern that names no route.
 */
export function packetTarget(routes: RouteCache, packet: ReadPacket & { metadata?: ClamatorMetadata }): PacketTarget {
  const { service, method } = routes.resolve(packet.pattern);
  if (!(packet.data instanceof ClamatorRecord)) return { service, method, params: packet.data, metadata: packet.metadata, timeoutMs: undefined };
  const record = packet.data;
  return { service, method, params: record.data, metadata: mergeMetadata(packet.metadata, record.metadata), timeoutMs: record.timeoutMs };
}
