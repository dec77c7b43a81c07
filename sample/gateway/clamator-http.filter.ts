import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import { ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError, ErrorCode } from '../../lib/index.js';

/** The part of Express's response this filter uses (the repository does not install @types/express). */
interface JsonResponse {
  status(code: number): { json(body: unknown): unknown };
}

/** HTTP status for an error reply of the arith service. */
export function httpStatusOf(error: ClamatorRpcError): number {
  if (error.code === ErrorCode.InvalidParams) return HttpStatus.BAD_REQUEST;
  if (error.code >= ErrorCode.ApplicationMin && error.code <= ErrorCode.ApplicationMax) return HttpStatus.UNPROCESSABLE_ENTITY;
  // Method not found, internal error, invalid request: the gateway and the service disagree.
  return HttpStatus.BAD_GATEWAY;
}

/**
 * Turns what a `ClamatorClient` call rejects with into an HTTP answer:
 * - error replies: 400 for invalid params (-32602), 422 for application errors (-32000..-32099),
 *   502 for the rest, each with the JSON-RPC error `{ code, message, data }` as body;
 * - no reply in time: 504; the transport could not carry the call: 503.
 */
@Catch(ClamatorRpcError, ClamatorTimeoutError, ClamatorTransportError)
export class ClamatorHttpExceptionFilter implements ExceptionFilter {
  catch(error: ClamatorRpcError | ClamatorTimeoutError | ClamatorTransportError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<JsonResponse>();
    if (error instanceof ClamatorRpcError) {
      response.status(httpStatusOf(error)).json(error.toJSON());
    } else if (error instanceof ClamatorTimeoutError) {
      response.status(HttpStatus.GATEWAY_TIMEOUT).json({ statusCode: HttpStatus.GATEWAY_TIMEOUT, message: error.message });
    } else {
      response.status(HttpStatus.SERVICE_UNAVAILABLE).json({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: error.message });
    }
  }
}
