import type { MessageHandler } from '@nestjs/microservices';
import { UNIMPLEMENTED_CONTRACT_METHOD } from '../contracts/clamator-service.decorator.js';
import { describeRouteViolation, routeFromPattern, SERVICE_NAME_PATTERN } from '../protocol/names.js';

/** Handlers of one consumer group, by method name. */
export type ServiceHandlers = Map<string, MessageHandler>;

/**
 * What `@EventPattern(pattern, extras)` may say to this transport.
 *
 * ```ts
 * @EventPattern('orders.shipped', { subscription: 'billing' }) // every shipped order, once per subscription
 * ```
 */
export interface ClamatorEventExtras {
  /**
   * Hear every notification of this method through a subscription of this name: a consumer group
   * of its own on the service's command stream, shared by the instances that use the same name.
   * Each subscription gets each notification once, alongside the service's own servers; requests
   * and other methods are acknowledged by it and never answered. Names match `^[a-z][a-z0-9-]*$`.
   * Default: none (the handler serves the notification as the service itself, competing with the
   * service's other servers).
   */
  subscription?: string;
  /**
   * Serve the notification as the service itself on purpose (a service whose API is notifications
   * only), which silences the warning `listen()` gives when a server joins a service's group with
   * `@EventPattern` handlers alone. Default: false.
   */
  compete?: boolean;
}

/** The handlers one consumer group of a service runs. */
export interface RouteGroup {
  readonly service: string;
  /** The subscription the group reads for; `undefined` for the service's own group. */
  readonly subscription: string | undefined;
  readonly handlers: ServiceHandlers;
}

/** What a server serves, from the handlers Nest registered with it. */
export interface ClamatorRoutes {
  readonly groups: RouteGroup[];
  /**
   * Services this server joins as the service itself with `@EventPattern` handlers only (and no
   * `compete: true`), with those methods: it would compete for all their entries, most likely by mistake.
   */
  readonly eventOnlyServices: Map<string, string[]>;
}

type Handler = MessageHandler & { next?: MessageHandler; extras?: Record<string, unknown> };

/** Reads the extras of one handler; throws naming the pattern for a bad subscription name or a subscription on a request handler. */
function extrasOf(pattern: string, handler: Handler): ClamatorEventExtras {
  const { subscription, compete } = handler.extras ?? {};
  if (subscription === undefined) return { compete: compete === true };
  if (!handler.isEventHandler) {
    throw new Error(`ClamatorServer: pattern ${pattern}: "subscription" applies to @EventPattern handlers only (notifications).`);
  }
  if (typeof subscription !== 'string' || !SERVICE_NAME_PATTERN.test(subscription)) {
    throw new Error(`ClamatorServer: pattern ${pattern}: subscription ${JSON.stringify(subscription)} must match ${SERVICE_NAME_PATTERN}.`);
  }
  return { subscription, compete: compete === true };
}

/** Fails naming every contract method a `@ClamatorService` class does not implement (it has a stand-in there). */
function assertContractsImplemented(handlers: Map<string, MessageHandler>): void {
  const missing: string[] = [];
  for (const [pattern, head] of handlers) {
    for (let handler: Handler | undefined = head as Handler; handler; handler = handler.next as Handler | undefined) {
      const className = handler.extras?.[UNIMPLEMENTED_CONTRACT_METHOD];
      if (className !== undefined) missing.push(`${pattern} (${String(className)}.${pattern.slice(pattern.indexOf('.') + 1)})`);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `ClamatorServer: @ClamatorService classes do not implement these contract methods: ${missing.join(', ')}. ` +
        `Add the methods, or remove them from the contract.`,
    );
  }
}

/**
 * Derives the consumer groups a server reads and their handlers from the handlers Nest registered,
 * keyed by their normalized patterns. Nest chains event handlers of one pattern (each one calls the
 * next); handlers of different subscriptions are split into chains of their own here, so that each
 * group runs only its own. Throws, naming the pattern and the rule, for a pattern that is not a valid
 * `service.method` and for bad extras.
 */
export function buildRoutes(handlers: Map<string, MessageHandler>): ClamatorRoutes {
  assertContractsImplemented(handlers);
  const groups = new Map<string, RouteGroup>();
  const competing = new Map<string, { methods: string[]; onlyEvents: boolean; silenced: boolean }>();
  for (const [pattern, head] of handlers) {
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
    const chains = new Map<string | undefined, Handler[]>();
    for (let handler: Handler | undefined = head as Handler; handler; handler = handler.next as Handler | undefined) {
      const extras = extrasOf(pattern, handler);
      const chain = chains.get(extras.subscription);
      if (chain) chain.push(handler);
      else chains.set(extras.subscription, [handler]);
      if (extras.subscription === undefined) {
        const own = competing.get(route.service) ?? { methods: [], onlyEvents: true, silenced: false };
        if (!own.methods.includes(route.method)) own.methods.push(route.method);
        own.onlyEvents &&= handler.isEventHandler === true;
        own.silenced ||= extras.compete === true;
        competing.set(route.service, own);
      }
    }
    for (const [subscription, chain] of chains) {
      chain.forEach((handler, i) => (handler.next = chain[i + 1]));
      const key = `${route.service}\n${subscription ?? ''}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { service: route.service, subscription, handlers: new Map() }));
      group.handlers.set(route.method, chain[0]);
    }
  }
  const eventOnlyServices = new Map<string, string[]>();
  for (const [service, { methods, onlyEvents, silenced }] of competing) {
    if (onlyEvents && !silenced) eventOnlyServices.set(service, methods);
  }
  return { groups: [...groups.values()], eventOnlyServices };
}
