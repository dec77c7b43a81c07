/** Service names clamator accepts: `^[a-z][a-z0-9-]*$`. */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
/** Method names clamator emits and registers: `^[a-z][a-zA-Z0-9]*$`. */
export const METHOD_NAME_PATTERN = /^[a-z][a-zA-Z0-9]*$/;
/** Method names accepted on input: the Python peer also allows `-`. */
export const INBOUND_METHOD_NAME_PATTERN = /^[a-z][a-zA-Z0-9-]*$/;

/** A `service.method` pair. */
export interface ClamatorRoute {
  readonly service: string;
  readonly method: string;
}

/** The rule a route breaks, or `null` when it is valid. */
export function describeRouteViolation(route: ClamatorRoute, inbound = false): string | null {
  if (!SERVICE_NAME_PATTERN.test(route.service)) {
    return `service name "${route.service}" must match ${SERVICE_NAME_PATTERN}`;
  }
  const methodRule = inbound ? INBOUND_METHOD_NAME_PATTERN : METHOD_NAME_PATTERN;
  if (!methodRule.test(route.method)) {
    return `method name "${route.method}" must match ${methodRule}`;
  }
  return null;
}

/** Splits a JSON-RPC `method` at its first `.`; `null` when there is no dot. */
export function splitQualifiedMethod(qualified: string): ClamatorRoute | null {
  const dot = qualified.indexOf('.');
  if (dot < 0) return null;
  return { service: qualified.slice(0, dot), method: qualified.slice(dot + 1) };
}

/**
 * Reads a Nest pattern as a clamator route. Accepts `'service.method'`, `{ service, method }`,
 * and the JSON text Nest makes of an object pattern. Returns `null` when the pattern has neither shape.
 */
export function routeFromPattern(pattern: unknown): ClamatorRoute | null {
  if (typeof pattern === 'string') {
    if (pattern.startsWith('{')) {
      try {
        return routeFromPattern(JSON.parse(pattern));
      } catch {
        return null;
      }
    }
    return splitQualifiedMethod(pattern);
  }
  if (pattern !== null && typeof pattern === 'object') {
    const { service, method } = pattern as Record<string, unknown>;
    if (typeof service === 'string' && typeof method === 'string' && Object.keys(pattern).length === 2) {
      return { service, method };
    }
  }
  return null;
}

/** Reads a pattern and checks it against the name rules; throws an error naming the pattern and the rule. */
export function parseOutboundPattern(pattern: unknown): ClamatorRoute {
  const route = routeFromPattern(pattern);
  if (!route) {
    throw new TypeError(
      `Pattern ${JSON.stringify(pattern)} is not a clamator route: use 'service.method' or { service, method }.`,
    );
  }
  const violation = describeRouteViolation(route);
  if (violation) {
    throw new TypeError(`Pattern ${JSON.stringify(pattern)} is not a valid clamator route: ${violation}.`);
  }
  return route;
}
