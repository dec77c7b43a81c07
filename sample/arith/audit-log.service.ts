import { Injectable } from '@nestjs/common';
import type { AuditRecord } from './arith.contract.js';

/** Keeps the most recent audit notifications in memory, oldest first. */
@Injectable()
export class AuditLog {
  /** How many records are kept; older ones are dropped. */
  static readonly capacity = 100;
  private readonly records: AuditRecord[] = [];

  record(entry: AuditRecord): void {
    this.records.push(entry);
    if (this.records.length > AuditLog.capacity) this.records.splice(0, this.records.length - AuditLog.capacity);
  }

  /** A copy of the recorded notifications, oldest first. */
  list(): AuditRecord[] {
    return [...this.records];
  }
}
