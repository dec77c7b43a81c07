import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { defineContract, method, notification } from '../../lib/index.js';

/** Params of `arith.add`: two finite numbers. */
export class AddParams {
  @IsNumber() a!: number;
  @IsNumber() b!: number;
}

/** Result of `arith.add`. */
export class AddResult {
  @IsNumber() sum!: number;
}

/** Params of `arith.divide`: the dividend `a` and the divisor `b`. */
export class DivideParams {
  @IsNumber() a!: number;
  @IsNumber() b!: number;
}

/** Result of `arith.divide`. */
export class DivideResult {
  @IsNumber() quotient!: number;
}

/** Params of `arith.slow`: how long to wait before answering, in milliseconds. */
export class SlowParams {
  @IsInt() @Min(0) @Max(60_000) ms!: number;
}

/** Result of `arith.slow`: how long the handler waited, in milliseconds. */
export class SlowResult {
  @IsInt() sleptMs!: number;
}

/** Params of the `arith.audit` notification: what happened, and optionally who did it. */
export class AuditParams {
  @IsString() @IsNotEmpty() @MaxLength(200) action!: string;
  @IsOptional() @IsString() @MaxLength(100) actor?: string;
}

/** One `arith.audit` notification as the service recorded it. */
export class AuditRecord {
  @IsString() action!: string;
  /** Who did it; `null` when the notification did not say. */
  @IsOptional() @IsString() actor!: string | null;
  /** Id of the stream entry that carried the notification. */
  @IsString() entryId!: string;
  /** When the service handled it (ISO 8601). */
  @IsString() receivedAt!: string;
}

/** Params of `arith.audits`: none. */
export class NoParams {}

/** Result of `arith.audits`: the audit notifications handled so far, oldest first. */
export class AuditList {
  @ValidateNested({ each: true }) @Type(() => AuditRecord) records!: AuditRecord[];
}

/**
 * The `arith` service's contract, shared by the service (`@ClamatorService(arith)`) and its
 * callers (`client.for(arith)`): params are checked on both sides, results by the callers.
 */
export const arith = defineContract('arith', {
  add: method({ params: AddParams, result: AddResult }),
  divide: method({ params: DivideParams, result: DivideResult }),
  slow: method({ params: SlowParams, result: SlowResult }),
  audits: method({ params: NoParams, result: AuditList }),
  audit: notification({ params: AuditParams }),
});
