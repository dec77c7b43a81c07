import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { type ClamatorContext, ClamatorService, type ContractHandlers } from '../../lib/index.js';
import {
  type AddParams,
  type AddResult,
  arith,
  type AuditList,
  type AuditParams,
  type DivideParams,
  type DivideResult,
  type SlowParams,
  type SlowResult,
} from './arith.contract.js';
import { AuditLog } from './audit-log.service.js';

/**
 * The `arith` clamator service: `@ClamatorService(arith)` serves each entry of the contract as
 * `arith.<method>`. Params reach the handlers checked and as instances of their classes; params
 * that do not fit are answered -32602 before any handler runs.
 */
@ClamatorService(arith)
export class ArithController implements ContractHandlers<typeof arith> {
  private readonly logger = new Logger(ArithController.name);

  constructor(private readonly auditLog: AuditLog) {}

  /** `arith.add {a, b}` → `{ sum: a + b }`. */
  add({ a, b }: AddParams): AddResult {
    return { sum: a + b };
  }

  /** `arith.divide {a, b}` → `{ quotient: a / b }`; dividing by zero is the application error -32000. */
  divide({ a, b }: DivideParams): DivideResult {
    if (b === 0) throw new RpcException({ code: -32000, message: 'division by zero', data: { a } });
    return { quotient: a / b };
  }

  /** `arith.slow {ms}` waits `ms` milliseconds, then answers `{ sleptMs }`. */
  async slow({ ms }: SlowParams): Promise<SlowResult> {
    await sleep(ms);
    return { sleptMs: ms };
  }

  /** `arith.audits {}` → `{ records }`: the audit notifications received so far, oldest first. */
  audits(): AuditList {
    return { records: this.auditLog.list() };
  }

  /** Notification `arith.audit {action, actor?}`: recorded and logged, never answered. */
  audit({ action, actor }: AuditParams, context: ClamatorContext): void {
    const entryId = context.getEntryId();
    this.auditLog.record({ action, actor: actor ?? null, entryId, receivedAt: new Date().toISOString() });
    this.logger.log(`audit: ${action}${actor ? ` by ${actor}` : ''} (entry ${entryId})`);
  }
}
