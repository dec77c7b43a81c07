import type { MessageHandler } from '@nestjs/microservices';
import { UNIMPLEMENTED_CONTRACT_METHOD } from '../../../lib/contracts/clamator-service.decorator.js';
import { buildRoutes } from '../../../lib/server/handler-routes.js';

type Handler = MessageHandler & { next?: MessageHandler; extras?: Record<string, unknown> };

/** A handler as Nest registers it: flags, extras, and for events a chain of the others of the same pattern. */
function handler(name: string, isEventHandler: boolean, extras: Record<string, unknown> = {}): Handler {
  const fn = (async () => name) as unknown as Handler;
  fn.isEventHandler = isEventHandler;
  fn.extras = extras;
  return fn;
}

/** Links event handlers of one pattern the way Nest's Server#addHandler does. */
function chain(...handlers: Handler[]): Handler {
  handlers.forEach((h, i) => (h.next = handlers[i + 1]));
  return handlers[0];
}

describe('buildRoutes', () => {
  it('fails naming every contract method a @ClamatorService class left unimplemented', () => {
    const handlers = new Map([
      ['arith.add', handler('add', false)],
      ['arith.sub', handler('sub', false, { [UNIMPLEMENTED_CONTRACT_METHOD]: 'ArithController' })],
      ['arith.audit', handler('audit', true, { [UNIMPLEMENTED_CONTRACT_METHOD]: 'ArithController' })],
    ]);
    expect(() => buildRoutes(handlers)).toThrow(
      'ClamatorServer: @ClamatorService classes do not implement these contract methods: ' +
        'arith.sub (ArithController.sub), arith.audit (ArithController.audit). Add the methods, or remove them from the contract.',
    );
  });

  it("puts requests and plain notifications in the service's own group", () => {
    const add = handler('add', false);
    const note = handler('note', true);
    const { groups, eventOnlyServices } = buildRoutes(new Map([['arith.add', add], ['arith.note', note]]));
    expect(groups).toEqual([{ service: 'arith', subscription: undefined, handlers: new Map([['add', add], ['note', note]]) }]);
    expect(eventOnlyServices.size).toBe(0);
  });

  it('splits the chain of one pattern by subscription, so that each group runs only its own handlers', () => {
    const own = handler('own', true);
    const billing1 = handler('billing-1', true, { subscription: 'billing' });
    const audit = handler('audit', true, { subscription: 'audit' });
    const billing2 = handler('billing-2', true, { subscription: 'billing' });
    const { groups } = buildRoutes(new Map([['orders.shipped', chain(own, billing1, audit, billing2)]]));
    const bySubscription = new Map(groups.map((group) => [group.subscription, group.handlers.get('shipped') as Handler]));
    expect([...bySubscription.keys()]).toEqual([undefined, 'billing', 'audit']);
    expect(bySubscription.get(undefined)).toBe(own);
    expect(own.next).toBeUndefined();
    expect(bySubscription.get('billing')).toBe(billing1);
    expect(billing1.next).toBe(billing2);
    expect(billing2.next).toBeUndefined();
    expect(bySubscription.get('audit')).toBe(audit);
    expect(audit.next).toBeUndefined();
  });

  it('names a service joined with @EventPattern handlers only, unless one says compete', () => {
    const routes = buildRoutes(
      new Map([
        ['orders.shipped', handler('a', true)],
        ['orders.cancelled', handler('b', true)],
        ['ticks.tick', handler('c', true, { compete: true })],
        ['mixed.note', handler('d', true)],
        ['mixed.add', handler('e', false)],
        ['billing.paid', handler('f', true, { subscription: 'ledger' })],
      ]),
    );
    expect([...routes.eventOnlyServices]).toEqual([['orders', ['shipped', 'cancelled']]]);
  });

  it('refuses a subscription on a request handler and a subscription name that breaks the rule, naming the pattern', () => {
    expect(() => buildRoutes(new Map([['orders.create', handler('x', false, { subscription: 'billing' })]]))).toThrow(
      /orders\.create: "subscription" applies to @EventPattern handlers only/,
    );
    for (const subscription of ['Billing', 'a:b', '', 7]) {
      expect(() => buildRoutes(new Map([['orders.shipped', handler('x', true, { subscription })]]))).toThrow(
        /orders\.shipped: subscription .* must match/,
      );
    }
  });

  it('still refuses patterns that are not clamator routes', () => {
    expect(() => buildRoutes(new Map([['nodot', handler('x', false)]]))).toThrow(/not a clamator route/);
    expect(() => buildRoutes(new Map([['Bad.name', handler('x', false)]]))).toThrow(/not a valid clamator route/);
  });
});
