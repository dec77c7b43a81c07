import { type ArgumentsHost, Logger } from '@nestjs/common';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { firstValueFrom, type Observable } from 'rxjs';
import {
  ClamatorRpcError,
  ClamatorTimeoutError,
  ClamatorTransportError,
  ERROR_MESSAGES,
  ErrorCode,
  internalErrorFrom,
  protocolError,
  toJsonRpcError,
} from '../../../lib/protocol/errors.js';

/** What an observable errored with. */
async function errorOf(observable: Observable<unknown>): Promise<unknown> {
  try {
    await firstValueFrom(observable);
  } catch (error) {
    return error;
  }
  throw new Error('the observable did not error');
}

/** The host Nest passes to an RPC exception filter; Nest's default filter does not read it. */
const rpcHost = { getType: () => 'rpc', getArgs: () => [], getArgByIndex: () => undefined } as unknown as ArgumentsHost;

describe('error codes', () => {
  it('uses the JSON-RPC 2.0 codes and standard messages', () => {
    expect(ErrorCode).toMatchObject({
      ParseError: -32700,
      InvalidRequest: -32600,
      MethodNotFound: -32601,
      InvalidParams: -32602,
      InternalError: -32603,
      ApplicationMin: -32099,
      ApplicationMax: -32000,
    });
    expect(ERROR_MESSAGES[-32700]).toBe('Parse error');
    expect(ERROR_MESSAGES[-32600]).toBe('Invalid Request');
    expect(ERROR_MESSAGES[-32601]).toBe('Method not found');
    expect(ERROR_MESSAGES[-32602]).toBe('Invalid params');
    expect(ERROR_MESSAGES[-32603]).toBe('Internal error');
  });

  it('builds protocol errors with the standard message and null data by default', () => {
    expect(protocolError(ErrorCode.MethodNotFound)).toEqual({ code: -32601, message: 'Method not found', data: null });
    expect(protocolError(ErrorCode.ParseError, { reason: 'x' })).toEqual({ code: -32700, message: 'Parse error', data: { reason: 'x' } });
    expect(protocolError(-32050).message).toBe('Server error');
  });
});

describe('error classes', () => {
  it('ClamatorRpcError carries code, message and data and serializes to the wire form', () => {
    const error = new ClamatorRpcError(-32010, 'Out of stock', { sku: 'a-1' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ClamatorRpcError');
    expect(error.message).toBe('Out of stock');
    expect(error.toJSON()).toEqual({ code: -32010, message: 'Out of stock', data: { sku: 'a-1' } });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: -32010, message: 'Out of stock', data: { sku: 'a-1' } });
    expect(new ClamatorRpcError(-32000, 'x').data).toBeNull();
  });

  it('ClamatorTimeoutError names the method and the timeout', () => {
    const error = new ClamatorTimeoutError('arith.add', 250);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ClamatorTimeoutError');
    expect(error.method).toBe('arith.add');
    expect(error.timeoutMs).toBe(250);
    expect(error.message).toContain('arith.add');
    expect(error.message).toContain('250 ms');
  });

  it('ClamatorTransportError keeps its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new ClamatorTransportError('Could not send arith.add', { cause });
    expect(error.name).toBe('ClamatorTransportError');
    expect(error.cause).toBe(cause);
  });
});

describe('toJsonRpcError', () => {
  it('keeps a ClamatorRpcError as it is', () => {
    expect(toJsonRpcError(new ClamatorRpcError(-32042, 'Quota exceeded', { limit: 3 }))).toEqual({
      code: -32042,
      message: 'Quota exceeded',
      data: { limit: 3 },
    });
    expect(toJsonRpcError(new ClamatorRpcError(ErrorCode.InvalidParams, 'Invalid params'))).toEqual({
      code: -32602,
      message: 'Invalid params',
      data: null,
    });
  });

  it('keeps a { code, message, data } object as it is, with data defaulting to null', () => {
    expect(toJsonRpcError({ code: -32001, message: 'Not yours', data: { owner: 'b' } })).toEqual({
      code: -32001,
      message: 'Not yours',
      data: { owner: 'b' },
    });
    expect(toJsonRpcError({ code: -32001, message: 'Not yours' })).toEqual({ code: -32001, message: 'Not yours', data: null });
    expect(toJsonRpcError({ code: -32001, message: 'Not yours', data: undefined }).data).toBeNull();
    expect(toJsonRpcError({ code: -32001, message: 'Falsy data', data: 0 }).data).toBe(0);
  });

  it('keeps the { code, message, data } object an RpcException carries under Nest’s default filter', async () => {
    const filtered = await errorOf(
      new BaseRpcExceptionFilter().catch(new RpcException({ code: -32007, message: 'Locked', data: { until: 5 } }), rpcHost),
    );
    expect(toJsonRpcError(filtered)).toEqual({ code: -32007, message: 'Locked', data: { until: 5 } });
  });

  describe('with the output of Nest’s default RPC exception filter', () => {
    beforeAll(() => Logger.overrideLogger(false)); // the default filter logs unknown errors
    afterAll(() => Logger.overrideLogger(true));

    it("turns { status: 'error', message: 'Internal server error' } into -32603", async () => {
      const filtered = await errorOf(new BaseRpcExceptionFilter().catch(new Error('db down'), rpcHost));
      expect(filtered).toEqual({ status: 'error', message: 'Internal server error' });
      expect(toJsonRpcError(filtered)).toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'Error', message: 'Internal server error' },
      });
    });

    it('turns the output for RpcException(text) into -32603 carrying the text', async () => {
      const filtered = await errorOf(new BaseRpcExceptionFilter().catch(new RpcException('bad thing'), rpcHost));
      expect(filtered).toEqual({ status: 'error', message: 'bad thing' });
      expect(toJsonRpcError(filtered)).toEqual({
        code: -32603,
        message: 'Internal error',
        data: { name: 'Error', message: 'bad thing' },
      });
    });
  });

  it('turns a { code, message } object with a non-integer code into -32603', () => {
    expect(toJsonRpcError({ code: 'E_FAIL', message: 'failed' })).toMatchObject({ code: -32603, message: 'Internal error' });
    expect(toJsonRpcError({ code: -32000.5, message: 'failed' }).code).toBe(-32603);
  });

  it('turns a plain Error into -32603 with data { name, message }', () => {
    expect(toJsonRpcError(new Error('boom'))).toEqual({
      code: -32603,
      message: 'Internal error',
      data: { name: 'Error', message: 'boom' },
    });
    expect(toJsonRpcError(new TypeError('x is not a function'))).toEqual({
      code: -32603,
      message: 'Internal error',
      data: { name: 'TypeError', message: 'x is not a function' },
    });
  });

  it('turns an Error that has code and message into -32603: only plain objects carry an error as is', () => {
    const error = Object.assign(new Error('looks like one'), { code: -32001 });
    expect(toJsonRpcError(error)).toEqual({
      code: -32603,
      message: 'Internal error',
      data: { name: 'Error', message: 'looks like one', code: -32001 },
    });
  });

  it('adds the simple own fields of an error to data and leaves out the others', () => {
    class QuotaError extends Error {
      override name = 'QuotaError';
      retryable = true;
      limit = 3;
      owner: string | null = null;
      region = 'eu';
      nested = { a: 1 };
      list = [1, 2];
      ratio = Number.NaN;
      infinite = Number.POSITIVE_INFINITY;
      callback = () => undefined;
      big = 10n;
      missing = undefined;
    }
    const data = toJsonRpcError(new QuotaError('over quota')).data;
    expect(data).toEqual({ name: 'QuotaError', message: 'over quota', retryable: true, limit: 3, owner: null, region: 'eu' });
  });

  it('does not let an own field override the name or message of the error', () => {
    const error = Object.assign(new Error('real message'), { name: 'RealName' });
    Object.defineProperty(error, 'message', { value: 'real message', enumerable: true });
    expect(toJsonRpcError(error).data).toEqual({ name: 'RealName', message: 'real message' });
  });

  it('adds code, errno, syscall and path of a system-style error', () => {
    // Built in this realm: under jest, errors thrown by Node's own modules come from another realm.
    const systemError = Object.assign(new Error("ENOENT: no such file or directory, open '/missing'"), {
      errno: -2,
      code: 'ENOENT',
      syscall: 'open',
      path: '/missing',
    });
    expect(toJsonRpcError(systemError)).toEqual({
      code: -32603,
      message: 'Internal error',
      data: {
        name: 'Error',
        message: "ENOENT: no such file or directory, open '/missing'",
        code: 'ENOENT',
        errno: -2,
        syscall: 'open',
        path: '/missing',
      },
    });
  });

  it('turns non-errors into -32603 describing what was thrown', () => {
    const cases: Array<[unknown, unknown]> = [
      ['just text', { name: 'string', message: 'just text' }],
      [42, { name: 'number', message: '42' }],
      [false, { name: 'boolean', message: 'false' }],
      [undefined, { name: 'undefined', message: 'undefined' }],
      [null, { name: 'object', message: 'null' }],
      [10n, { name: 'bigint', message: '10' }],
      [{ reason: 'x' }, { name: 'object', message: '{"reason":"x"}' }],
      [['a'], { name: 'object', message: '["a"]' }],
    ];
    for (const [thrown, data] of cases) {
      expect({ thrown, error: toJsonRpcError(thrown) }).toEqual({ thrown, error: { code: -32603, message: 'Internal error', data } });
    }
  });

  it('describes a circular non-error without throwing', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(toJsonRpcError(circular)).toEqual({ code: -32603, message: 'Internal error', data: { name: 'object', message: '[object Object]' } });
  });

  it('internalErrorFrom always answers -32603, even for a ClamatorRpcError', () => {
    expect(internalErrorFrom(new ClamatorRpcError(-32001, 'app'))).toEqual({
      code: -32603,
      message: 'Internal error',
      data: { name: 'ClamatorRpcError', message: 'app', code: -32001, data: null },
    });
  });
});
