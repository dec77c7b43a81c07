import type { MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { ErrorCode, toJsonRpcError } from '../protocol/errors.js';
import type { RpcFailure, RpcTelemetry } from '../telemetry/rpc-telemetry.js';
import type { ClamatorContext } from './clamator.context.js';

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

/** What a handler's failure means for its caller, for the handler's span and metrics. */
function failureOf(error: unknown): RpcFailure {
  if (error instanceof HandlerTimeout) return { code: ErrorCode.InternalError, message: `handler timeout (${error.timeoutMs} ms)` };
  const { code, message } = toJsonRpcError(error);
  return { code, message };
}

/** Runs work between Nest's processing start and end hooks (Nest 12), for one delivery. */
export interface ProcessingHooks {
  /** Runs `work` inside the hooks for `context`, each hook once; just runs it where no hook is set. */
  around<T>(context: ClamatorContext, work: () => Promise<T>): Promise<T>;
}

/**
 * Runs the handlers of one server: each run goes through the processing hooks, and rejects with
 * `HandlerTimeout` when the handler takes longer than `timeoutMs` (0: no deadline; the handler
 * itself is not cancelled).
 */
export class HandlerRunner {
  /** Traces and metrics of the handlers, once the server has loaded OpenTelemetry (installed, not turned off). */
  telemetry: RpcTelemetry | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly hooks: ProcessingHooks,
  ) {}

  /** Runs `handler` with `params` and `context`, and settles on its value (see `resultOf`). */
  run(handler: MessageHandler, params: unknown, context: ClamatorContext): Promise<unknown> {
    const { telemetry } = this;
    if (!telemetry) return this.hooks.around(context, () => this.withDeadline(resultOf(handler, params, context)));
    return this.hooks.around(context, () =>
      telemetry.serverRpc(
        context.getService(), context.getMethod(), context.getId(), context.getMetadata(),
        () => this.withDeadline(resultOf(handler, params, context)),
        failureOf,
      ),
    );
  }

  private withDeadline(work: Promise<unknown>): Promise<unknown> {
    const { timeoutMs } = this;
    if (timeoutMs === 0) return work;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HandlerTimeout(timeoutMs)), timeoutMs);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}
