import type { PipeTransform } from '@nestjs/common';
import { ClamatorRpcError, ERROR_MESSAGES, ErrorCode } from '../protocol/errors.js';
import type { ContractSchema } from './contract.js';
import { checkSchema, type SchemaCheck } from './schema-check.js';

function settle(check: SchemaCheck): unknown {
  if (check.ok) return check.value;
  throw new ClamatorRpcError(ErrorCode.InvalidParams, ERROR_MESSAGES[ErrorCode.InvalidParams], { errors: check.errors });
}

/**
 * The payload pipe `@ClamatorService` puts on each contract method: turns the params into an
 * instance of the params class (or zod's parsed value) and refuses params that do not fit with
 * -32602 and `data.errors`, the way `clamatorValidationExceptionFactory` lists them. It runs after
 * the application's own pipes, so the handler only ever sees checked params.
 */
export class ContractParamsPipe implements PipeTransform {
  constructor(
    /** `service.method` this pipe checks the params of. */
    readonly route: string,
    private readonly schema: ContractSchema,
  ) {}

  transform(value: unknown): unknown {
    // The server passes `{}` for missing params already; a pipe before this one may not.
    const check = checkSchema(this.schema, value ?? {}, 'params');
    return check instanceof Promise ? check.then(settle) : settle(check);
  }
}
