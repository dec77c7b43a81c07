import { type ArgumentsHost, BadRequestException, Catch, HttpException, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import { ClamatorRpcError, ErrorCode, ERROR_MESSAGES, internalErrorFrom, type JsonRpcErrorObject } from '../protocol/errors.js';

/** One failing field in the `data` of a -32602 reply. */
export interface InvalidParamDetail {
  /** Property path of the field (`a`, `address.city`). */
  field: string;
  /** Why it failed, in class-validator's words. */
  message: string;
}

const APPLICATION_ERROR = ErrorCode.ApplicationMax;

function isJsonRpcErrorShape(value: unknown): value is { code: number; message: string; data?: unknown } {
  if (value === null || typeof value !== 'object') return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'number' && Number.isInteger(code) && typeof message === 'string';
}

/**
 * Where class-validator's default messages (as flattened by ValidationPipe) name the property:
 * `<path> must ...`, `each value in <path> ...`, `nested property <path> ...`, `property <path> should not exist`.
 */
const FIELD_PATTERNS = [
  /^each value in ([\w$.[\]-]+) /,
  /^nested property ([\w$.[\]-]+) /,
  /^property ([\w$.[\]-]+) should not exist/,
  /^([\w$.[\]-]+) (?:must|should|has to|has|is|contains|does) /,
];

/** Reads the field a validation message is about; `''` when the message names none (custom messages). */
function detailFromMessage(message: string): InvalidParamDetail {
  for (const pattern of FIELD_PATTERNS) {
    const field = pattern.exec(message)?.[1];
    if (field) return { field, message };
  }
  return { field: '', message };
}

/**
 * An `exceptionFactory` for `ValidationPipe` that keeps class-validator's structure: -32602 with one
 * `{ field, message, constraint }` per failed constraint, nested properties as dotted paths, custom
 * messages included. `new ValidationPipe({ exceptionFactory: clamatorValidationExceptionFactory })`.
 */
export function clamatorValidationExceptionFactory(errors: ValidationErrorLike[]): ClamatorRpcError {
  return new ClamatorRpcError(ErrorCode.InvalidParams, ERROR_MESSAGES[ErrorCode.InvalidParams], { errors: validationDetails(errors) });
}

/** One failing constraint of a field, as the `data.errors` of a -32602 reply lists it. */
export type ConstraintDetail = InvalidParamDetail & { constraint: string };

/** Flattens class-validator's errors to one detail per failed constraint, nested properties as dotted paths. */
export function validationDetails(errors: ValidationErrorLike[]): ConstraintDetail[] {
  const details: ConstraintDetail[] = [];
  const visit = (error: ValidationErrorLike, path: string): void => {
    const field = path ? `${path}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) details.push({ field, message, constraint });
    for (const child of error.children ?? []) visit(child, field);
  };
  for (const error of errors) visit(error, '');
  return details;
}

/** The parts of class-validator's `ValidationError` the factory reads. */
export interface ValidationErrorLike {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

/** -32602 from a `BadRequestException`: ValidationPipe puts one message per failing constraint in `response.message`. */
function invalidParamsFrom(exception: BadRequestException): JsonRpcErrorObject {
  const response = exception.getResponse();
  const raw = typeof response === 'object' && response !== null ? (response as Record<string, unknown>).message : response;
  const messages = Array.isArray(raw) ? raw.map(String) : [String(raw ?? exception.message)];
  return {
    code: ErrorCode.InvalidParams,
    message: ERROR_MESSAGES[ErrorCode.InvalidParams],
    data: { errors: messages.map(detailFromMessage) },
  };
}

/** Maps an `HttpException` other than 400: 5xx are internal errors, other statuses application errors. */
function fromHttpException(exception: HttpException): JsonRpcErrorObject {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (status >= 500) {
    return { ...internalErrorFrom(exception), data: { name: exception.name, message: exception.message, statusCode: status } };
  }
  return { code: APPLICATION_ERROR, message: exception.message, data: { statusCode: status, response } };
}

/**
 * Turns whatever a handler throws into the JSON-RPC error of its reply:
 * - `RpcException({ code, message, data })` and `ClamatorRpcError`: that error, as it is;
 * - `BadRequestException` (as thrown by `ValidationPipe`): -32602 with `data.errors` listing each field and why;
 * - other `HttpException`s: 4xx → -32000 with `data.statusCode`, 5xx → -32603;
 * - anything else: -32603 with `data: { name, message }`.
 *
 * Use it with `app.useGlobalFilters(new ClamatorExceptionFilter())` or `@UseFilters(ClamatorExceptionFilter)`.
 */
@Catch()
export class ClamatorExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => ClamatorExceptionFilter.toJsonRpcError(exception));
  }

  /** The mapping applied by `catch`, usable on its own. */
  static toJsonRpcError(exception: unknown): JsonRpcErrorObject {
    if (exception instanceof ClamatorRpcError) return exception.toJSON();
    if (exception instanceof RpcException) {
      const error = exception.getError();
      if (isJsonRpcErrorShape(error)) return { code: error.code, message: error.message, data: error.data ?? null };
      const message = typeof error === 'string' ? error : exception.message;
      return { code: APPLICATION_ERROR, message, data: typeof error === 'string' ? null : error };
    }
    if (exception instanceof BadRequestException) return invalidParamsFrom(exception);
    if (exception instanceof HttpException) return fromHttpException(exception);
    return internalErrorFrom(exception);
  }
}
