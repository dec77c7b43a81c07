import type { MessageHandler } from '@nestjs/microservices';
import { describeRouteViolation, routeFromPattern } from '../protocol/names.js';

/** Handlers of one service, by method name. */
export type ServiceHandlers = Map<string, MessageHandler>;

/**
 * Derives the clamator services and methods from the handlers Nest registered, keyed by their
 * normalized patterns. Throws, naming the pattern and the rule, for a pattern that is not a valid
 * `service.method`.
 */
export function buildRoutes(handlers: Map<string, MessageHandler>): Map<string, ServiceHandlers> {
  const services = new Map<string, ServiceHandlers>();
  for (const [pattern, handler] of handlers) {
    const route = routeFromPattern(pattern);
    if (!route) {
      throw new Error(
        `ClamatorServer: pattern ${pattern} is not a clamator route. Use 'service.method' (e.g. 'arith.add') ` +
          `or { service: 'arith', method: 'add' } in @MessagePattern / @EventPattern.`,
      );
    }
    const violation = describeRouteViolation(route);
    if (violation) {
      throw new Error(`ClamatorServer: pattern ${pattern} is not a valid clamator route: ${violation}.`);
    }
    let methods = services.get(route.service);
    if (!methods) services.set(route.service, (methods = new Map()));
    methods.set(route.method, handler);
  }
  return services;
}
