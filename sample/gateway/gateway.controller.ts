import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Inject, Post, Query } from '@nestjs/common';
import { ClamatorClient, type ContractClient } from '../../lib/index.js';
import { arith, type AuditParams, type AuditRecord } from '../arith/arith.contract.js';
import { ARITH_CLIENT } from './arith.constants.js';

/**
 * A query value as the arith contract should see it: numeric text becomes a number, anything else
 * is passed on unchanged, so that the contract (not the gateway's own code) decides what is valid.
 */
function numberOrRaw(value: string | undefined): number {
  const trimmed = value?.trim();
  // Typed as a number for the call only: the contract's check refuses what is not one.
  return (trimmed && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value) as number;
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
 * typed client of the arith contract (`client.for(arith)`): params are checked before they are sent
 * (-32602 without a round trip) and results when they come back. Error replies become HTTP errors
 * in `ClamatorHttpExceptionFilter`.
 */
@Controller()
export class GatewayController {
  private readonly arith: ContractClient<typeof arith>;

  constructor(@Inject(ARITH_CLIENT) client: ClamatorClient) {
    this.arith = client.for(arith);
  }

  /** `GET /add?a=2&b=3` → `{ "result": 5 }`. */
  @Get('add')
  async add(@Query('a') a?: string, @Query('b') b?: string): Promise<{ result: number }> {
    const { sum } = await this.arith.add({ a: numberOrRaw(a), b: numberOrRaw(b) });
    return { result: sum };
  }

  /** `GET /divide?a=1&b=4` → `{ "result": 0.25 }`; `b=0` → 422 with the service's -32000 error. */
  @Get('divide')
  async divide(@Query('a') a?: string, @Query('b') b?: string): Promise<{ result: number }> {
    const { quotient } = await this.arith.divide({ a: numberOrRaw(a), b: numberOrRaw(b) });
    return { result: quotient };
  }

  /** `GET /slow?ms=200[&timeoutMs=100]` → `{ "result": { "sleptMs": 200 } }`, or 504 when no answer came in time. */
  @Get('slow')
  async slow(@Query('ms') ms?: string, @Query('timeoutMs') timeoutMs?: string): Promise<{ result: { sleptMs: number } }> {
    const { sleptMs } = await this.arith.slow({ ms: numberOrRaw(ms) }, { timeoutMs: timeoutFrom(timeoutMs) });
    return { result: { sleptMs } };
  }

  /** `POST /audit {"action": "...", "actor": "..."}` → 202 once the notification is queued (not yet handled). */
  @Post('audit')
  @HttpCode(HttpStatus.ACCEPTED)
  async audit(@Body() body: AuditParams): Promise<{ queued: true }> {
    // Resolves once Redis queued it (a notification has no answer); bad params are refused with -32602 first.
    await this.arith.audit(body ?? {});
    return { queued: true };
  }

  /** `GET /audit` → the audit notifications the service has handled so far. */
  @Get('audit')
  async audits(): Promise<{ result: AuditRecord[] }> {
    return { result: (await this.arith.audits()).records };
  }
}
