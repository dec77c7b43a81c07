import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import type { ClamatorContext } from './clamator.context.js';

/** Limits applied to every entry. */
export interface EntryLimits {
  /** 0 = no deadline. */
  readonly handlerTimeoutMs: number;
  readonly maxEnvelopeBytes: number;
}

/** Raised when a handler outlives `handlerTimeoutMs`. */
export class HandlerTimeout {
  constructor(readonly timeoutMs: number) {}
}

/** Runs a Nest handler and settles on its value: a plain value, a Promise, or an Observable's last value. */
async function resultOf(handler: MessageHandler, params: unknown, context: ClamatorContext): Promise<unknown> {
  let result: unknown = handler(params, context);
  if (result instanceof Promise) result = await result;
  if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
  return result;
}

/**
 * Runs a Nest handler as `resultOf` does, and rejects with `HandlerTimeout` when it takes longer
 * than `timeoutMs` (0: no deadline). The handler itself is not cancelled.
 */
export function invokeHandler(handler: MessageHandler, params: unknown, context: ClamatorContext, timeoutMs: number): Promise<unknown> {
  const work = resultOf(handler, params, context);
  if (timeoutMs === 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeout(timeoutMs)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
