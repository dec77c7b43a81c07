/**
 * Contracts in the shape clamator's own TypeScript packages build them (`@clamator/protocol`'s
 * `defineContract`, `defineMethod`, `defineNotification`): plain `{ service, methods }` objects with
 * zod schemas, a method `{ params, result }` and a notification `{ params, notification: true }`.
 * Written here so that the tests need no clamator package; nothing of nestjs-clamator is used.
 */

/** A request entry as clamator types it. */
export interface ClamatorZodMethod<P, R> {
  params: P;
  result: R;
  notification?: false;
}

/** A notification entry as clamator types it. */
export interface ClamatorZodNotification<P> {
  params: P;
  notification: true;
}

/** clamator's `defineMethod`: the entry as given. */
export function zodMethod<P, R>(entry: ClamatorZodMethod<P, R>): ClamatorZodMethod<P, R> {
  return entry;
}

/** clamator's `defineNotification`: the entry, marked. */
export function zodNotification<P>(entry: { params: P }): ClamatorZodNotification<P> {
  return { ...entry, notification: true };
}

/** clamator's `defineContract`, without its name checks (the code under test makes its own). */
export function zodContract<S extends string, M extends Record<string, ClamatorZodMethod<unknown, unknown> | ClamatorZodNotification<unknown>>>(
  service: S,
  methods: M,
): { service: S; methods: M } {
  return { service, methods };
}
