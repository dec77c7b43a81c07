import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { ClamatorContext } from '../../lib/index.js';
import { AddDto } from './add.dto.js';
import { AuditDto } from './audit.dto.js';
import { AuditLog, type AuditRecord } from './audit-log.service.js';
import { DivideDto } from './divide.dto.js';
import { SlowDto } from './slow.dto.js';

/**
 * The `arith` clamator service. Each `@MessagePattern('arith.<method>')` is a method that callers
 * get an answer from; the `@EventPattern` is a notification (no answer). Params are validated by
 * the global `ValidationPipe`: invalid params come back to the caller as -32602.
 */
@Controller()
export class ArithController {
  private readonly logger = new Logger(ArithController.name);

  constructor(private readonly auditLog: AuditLog) {}

  /** `arith.add {a, b}` → `a + b`. */
  @MessagePattern('arith.add')
  add(@Payload() { a, b }: AddDto): number {
    return a + b;
  }

  /** `arith.divide {a, b}` → `a / b`; dividing by zero is the application error -32000. */
  @MessagePattern('arith.divide')
  divide(@Payload() { a, b }: DivideDto): number {
    if (b === 0) throw new RpcException({ code: -32000, message: 'division by zero', data: { a } });
    return a / b;
  }

  /** `arith.slow {ms}` waits `ms` milliseconds, then answers `{ sleptMs }`. */
  @MessagePattern('arith.slow')
  async slow(@Payload() { ms }: SlowDto): Promise<{ sleptMs: number }> {
    await sleep(ms);
    return { sleptMs: ms };
  }

  /** `arith.audits {}` → the audit notifications received so far, oldest first. */
  @MessagePattern('arith.audits')
  audits(): AuditRecord[] {
    return this.auditLog.list();
  }

  /**
   * Notification `arith.audit {action, actor?}`: recorded and logged, never answered.
   * (`<string>` picks EventPattern's untyped overload; Nest 12's typed one allows no typed `@Ctx()` argument.)
   */
  @EventPattern<string>('arith.audit')
  audit(@Payload() { action, actor }: AuditDto, @Ctx() context: ClamatorContext): void {
    const record: AuditRecord = { action, actor: actor ?? null, entryId: context.getEntryId(), receivedAt: new Date().toISOString() };
    this.auditLog.record(record);
    this.logger.log(`audit: ${action}${actor ? ` by ${actor}` : ''} (entry ${record.entryId})`);
  }
}
