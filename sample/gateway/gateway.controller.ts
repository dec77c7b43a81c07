import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Query } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { ClamatorClient } from '../../lib/index.js';
import { ARITH_CLIENT } from './arith.constants.js';

/**
 * A query value as the arith service should see it: numeric text becomes a number, anything else
 * is passed on unchanged, so that the service's validation (not the gateway) decides what is valid.
 */
function numberOrRaw(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
}

/** An optional per-call timeout from the query string. */
function timeoutFrom(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const timeoutMs = Number(value);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new BadRequestException('timeoutMs must be an integer between 1 and 600000');
  }
  return timeoutMs;
}

/**
 * HTTP front of the arith service. Every route is one clamator call (or notification) through the
 * injected `ClamatorClient`; error replies become HTTP errors in `ClamatorHttpExceptionFilter`.
 */
@Controller()
export class GatewayController {
  constructor(@Inject(ARITH_CLIENT) private readonly arith: ClamatorClient) {}

  /** `GET /add?a=2&b=3` → `{ "result": 5 }`. Uses Nest's `send()`, which works with any transport. */
  @Get('add')
  async add(@Query('a') a?: string, @Query('b') b?: string): Promise<{ result: number }> {
    const result = await lastValueFrom(this.arith.send<number>('arith.add', { a: numberOrRaw(a), b: numberOrRaw(b) }));
    return { result };
  }

  /** `GET /divide?a=1&b=4` → `{ "result": 0.25 }`; `b=0` → 422 with the service's -32000 error. Uses `call()`. */
  @Get('divide')
  async divide(@Query('a') a?: string, @Query('b') b?: string): Promise<{ result: number }> {
    const result = await this.arith.call<number>('arith', 'divide', { a: numberOrRaw(a), b: numberOrRaw(b) });
    return { result };
  }

  /** `GET /slow?ms=200[&timeoutMs=100]` → `{ "result": { "sleptMs": 200 } }`, or 504 when no answer came in time. */
  @Get('slow')
  async slow(@Query('ms') ms?: string, @Query('timeoutMs') timeoutMs?: string): Promise<{ result: { sleptMs: number } }> {
    const result = await this.arith.call<{ sleptMs: number }>('arith', 'slow', { ms: numberOrRaw(ms) }, { timeoutMs: timeoutFrom(timeoutMs) });
    return { result };
  }

  /** `POST /audit {"action": "...", "actor": "..."}` → 202 once the notification is queued (not yet handled). */
  @Post('audit')
  @HttpCode(HttpStatus.ACCEPTED)
  async audit(@Body() body: unknown): Promise<{ queued: true }> {
    // emit() sends at once; waiting for it surfaces transport failures. A notification has no answer.
    await lastValueFrom(this.arith.emit('arith.audit', body ?? {}), { defaultValue: undefined });
    return { queued: true };
  }

  /** `GET /audit` → the audit notifications the service has handled so far. */
  @Get('audit')
  async audits(): Promise<{ result: unknown[] }> {
    return { result: await this.arith.call<unknown[]>('arith', 'audits') };
  }
}
