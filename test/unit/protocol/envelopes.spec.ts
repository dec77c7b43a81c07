import {
  decodeInbound,
  decodeReply,
  encodeError,
  encodeNotification,
  encodeRequest,
  encodeResult,
  type InboundEntry,
  type InboundInvalid,
} from '../../../lib/protocol/envelopes.js';
import { ErrorCode } from '../../../lib/protocol/errors.js';

/** Narrows a decoded entry to the invalid case, failing the test otherwise. */
function expectInvalid(entry: InboundEntry): InboundInvalid {
  expect(entry.kind).toBe('invalid');
  if (entry.kind !== 'invalid') throw new Error('unreachable');
  return entry;
}

const request = (fields: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', method: 'arith.add', params: { a: 1 }, id: 'req-1', ...fields });

describe('envelope encoding', () => {
  it('encodes a request with jsonrpc, qualified method, params and id', () => {
    expect(JSON.parse(encodeRequest('arith', 'add', { a: 1, b: 2 }, 'id-1'))).toEqual({
      jsonrpc: '2.0',
      method: 'arith.add',
      params: { a: 1, b: 2 },
      id: 'id-1',
    });
  });

  it('encodes missing params of a request as {}', () => {
    expect(JSON.parse(encodeRequest('arith', 'add', undefined, 1)).params).toEqual({});
    expect(JSON.parse(encodeRequest('arith', 'add', null, 1)).params).toEqual({});
  });

  it('keeps an integer request id a JSON number', () => {
    expect(encodeRequest('arith', 'add', {}, 42)).toContain('"id":42');
  });

  it('encodes a notification without any id member', () => {
    const envelope = JSON.parse(encodeNotification('audit', 'record', { what: 'login' }));
    expect(envelope).toEqual({ jsonrpc: '2.0', method: 'audit.record', params: { what: 'login' } });
    expect('id' in envelope).toBe(false);
    expect(JSON.parse(encodeNotification('audit', 'record', undefined)).params).toEqual({});
  });

  it('encodes a result, sending undefined as null and keeping null and falsy values', () => {
    expect(JSON.parse(encodeResult('x', { sum: 3 }))).toEqual({ jsonrpc: '2.0', id: 'x', result: { sum: 3 } });
    const undefinedResult = JSON.parse(encodeResult('x', undefined));
    expect('result' in undefinedResult).toBe(true);
    expect(undefinedResult.result).toBeNull();
    expect(JSON.parse(encodeResult('x', null)).result).toBeNull();
    expect(JSON.parse(encodeResult(7, 0))).toEqual({ jsonrpc: '2.0', id: 7, result: 0 });
    expect(JSON.parse(encodeResult(7, false)).result).toBe(false);
    expect(JSON.parse(encodeResult(7, '')).result).toBe('');
  });

  it('encodes an error with data always present (null when absent)', () => {
    expect(JSON.parse(encodeError('x', { code: -32001, message: 'Out of stock', data: { sku: 'a' } }))).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      error: { code: -32001, message: 'Out of stock', data: { sku: 'a' } },
    });
    const withoutData = JSON.parse(encodeError('x', { code: -32601, message: 'Method not found', data: undefined }));
    expect('data' in withoutData.error).toBe(true);
    expect(withoutData.error.data).toBeNull();
  });

  it('encodes an error with a null id, as replies to unreadable requests need', () => {
    const envelope = JSON.parse(encodeError(null, { code: -32700, message: 'Parse error', data: null }));
    expect('id' in envelope).toBe(true);
    expect(envelope.id).toBeNull();
  });

  it('decodes what it encodes', () => {
    expect(decodeInbound(encodeRequest('arith', 'add', { a: 1 }, 'id-9'), 'arith')).toEqual({
      kind: 'call',
      id: 'id-9',
      service: 'arith',
      method: 'add',
      params: { a: 1 },
    });
    expect(decodeInbound(encodeNotification('arith', 'reset', undefined), 'arith')).toEqual({
      kind: 'call',
      id: null,
      service: 'arith',
      method: 'reset',
      params: {},
    });
    expect(decodeReply(encodeResult(5, [1, 2]))).toEqual({ id: 5, result: [1, 2] });
    expect(decodeReply(encodeError('e', { code: -32000, message: 'no', data: undefined }))).toEqual({
      id: 'e',
      error: { code: -32000, message: 'no', data: null },
    });
  });
});

describe('decodeInbound', () => {
  it('reads a well-formed request', () => {
    expect(decodeInbound(request({}), 'arith')).toEqual({
      kind: 'call',
      id: 'req-1',
      service: 'arith',
      method: 'add',
      params: { a: 1 },
    });
  });

  it('answers -32700 with a null id when the envelope is not JSON', () => {
    for (const raw of ['{', 'not json', '', '{"jsonrpc":"2.0","method":"arith.add","id":"req-1"']) {
      const entry = expectInvalid(decodeInbound(raw, 'arith'));
      expect(entry.id).toBeNull();
      expect(entry.error.code).toBe(ErrorCode.ParseError);
      expect(entry.error.message).toBe('Parse error');
      expect(entry.isNotification).toBe(false);
    }
  });

  it('answers -32600 with a null id when the entry has no envelope field', () => {
    const entry = expectInvalid(decodeInbound(undefined, 'arith'));
    expect(entry.id).toBeNull();
    expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
    expect(entry.error.message).toBe('Invalid Request');
  });

  it('answers -32600 with a null id to a batch array, even a batch of valid requests', () => {
    const batch = `[${request({ id: 'a' })},${request({ id: 'b' })}]`;
    for (const raw of [batch, '[]']) {
      const entry = expectInvalid(decodeInbound(raw, 'arith'));
      expect(entry.id).toBeNull();
      expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
      expect(entry.isNotification).toBe(false);
    }
  });

  it('answers -32600 with a null id to JSON that is not an object', () => {
    for (const raw of ['"arith.add"', '42', 'null', 'true']) {
      const entry = expectInvalid(decodeInbound(raw, 'arith'));
      expect(entry.id).toBeNull();
      expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
    }
  });

  it('answers -32600 to a wrong or missing jsonrpc member, keeping the id it could read', () => {
    for (const jsonrpc of ['1.0', 2, 2.0, undefined, null, '2']) {
      const entry = expectInvalid(decodeInbound(request({ jsonrpc, id: 'req-7' }), 'arith'));
      expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
      expect(entry.id).toBe('req-7');
      expect(entry.error.data).toEqual({ reason: expect.stringContaining('jsonrpc') });
    }
  });

  it('answers -32600 to a malformed method, keeping the id it could read', () => {
    const badMethods: unknown[] = [
      'add', // no service
      '.add',
      'arith.',
      'Arith.add', // upper-case service
      '1arith.add',
      'ar_ith.add',
      'arith.Add', // method must start lower-case
      'arith.1add',
      'arith.add.more', // split at the first dot leaves "add.more"
      'arith.a_b',
      'arith.add ',
      42,
      null,
      { service: 'arith', method: 'add' },
    ];
    for (const method of badMethods) {
      const entry = expectInvalid(decodeInbound(request({ method, id: 3 }), 'arith'));
      expect({ method, code: entry.error.code }).toEqual({ method, code: ErrorCode.InvalidRequest });
      expect(entry.id).toBe(3);
    }
    const missing = expectInvalid(decodeInbound(JSON.stringify({ jsonrpc: '2.0', id: 'm' }), 'arith'));
    expect(missing.error.code).toBe(ErrorCode.InvalidRequest);
    expect(missing.id).toBe('m');
  });

  it('explains a malformed method in error.data.reason', () => {
    const entry = expectInvalid(decodeInbound(request({ method: 'Arith.add' }), 'Arith'));
    expect(entry.error.data).toEqual({ reason: expect.stringContaining('Arith') });
  });

  it('answers -32600 with a null id to an id that is neither a string nor an integer', () => {
    for (const id of [1.5, -0.25, {}, { id: 'x' }, true, false, ['a']]) {
      const entry = expectInvalid(decodeInbound(request({ id }), 'arith'));
      expect({ id, code: entry.error.code }).toEqual({ id, code: ErrorCode.InvalidRequest });
      expect(entry.id).toBeNull();
      expect(entry.isNotification).toBe(false);
    }
  });

  it('rejects an id written as a float literal too large for an integer', () => {
    // JSON.parse reads 1e400 as Infinity, which is not an integer.
    const raw = '{"jsonrpc":"2.0","method":"arith.add","params":{},"id":1e400}';
    const entry = expectInvalid(decodeInbound(raw, 'arith'));
    expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
    expect(entry.id).toBeNull();
  });

  it('answers -32600 when the service in the method is not the service of the stream, keeping the id', () => {
    const entry = expectInvalid(decodeInbound(request({ method: 'billing.charge', id: 'req-2' }), 'arith'));
    expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
    expect(entry.id).toBe('req-2');
    expect(entry.isNotification).toBe(false);
    expect(entry.error.data).toEqual({ reason: expect.stringMatching(/billing.*arith/) });
  });

  it('flags a service mismatch on a well-formed notification as a notification (no reply)', () => {
    const raw = JSON.stringify({ jsonrpc: '2.0', method: 'billing.charge', params: {} });
    const entry = expectInvalid(decodeInbound(raw, 'arith'));
    expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
    expect(entry.id).toBeNull();
    expect(entry.isNotification).toBe(true);
  });

  it('does not flag a malformed envelope without id as a notification', () => {
    for (const raw of [
      JSON.stringify({ jsonrpc: '1.0', method: 'arith.add' }),
      JSON.stringify({ jsonrpc: '2.0', method: 'Arith.add' }),
      JSON.stringify({ jsonrpc: '2.0' }),
    ]) {
      expect(expectInvalid(decodeInbound(raw, 'arith')).isNotification).toBe(false);
    }
  });

  it('answers -32602 to array params, keeping the id', () => {
    const entry = expectInvalid(decodeInbound(request({ params: [1, 2], id: 'req-3' }), 'arith'));
    expect(entry.error.code).toBe(ErrorCode.InvalidParams);
    expect(entry.error.message).toBe('Invalid params');
    expect(entry.id).toBe('req-3');
    expect(entry.isNotification).toBe(false);
  });

  it('flags array params of a notification as a notification (no reply)', () => {
    const raw = JSON.stringify({ jsonrpc: '2.0', method: 'arith.add', params: [1] });
    const entry = expectInvalid(decodeInbound(raw, 'arith'));
    expect(entry.error.code).toBe(ErrorCode.InvalidParams);
    expect(entry.isNotification).toBe(true);
  });

  it('answers -32600 to params that are neither an object nor an array', () => {
    for (const params of ['text', 5, true]) {
      const entry = expectInvalid(decodeInbound(request({ params, id: 9 }), 'arith'));
      expect(entry.error.code).toBe(ErrorCode.InvalidRequest);
      expect(entry.id).toBe(9);
    }
  });

  it('reads missing (or null) params as {}', () => {
    const missing = decodeInbound(JSON.stringify({ jsonrpc: '2.0', method: 'arith.add', id: 'a' }), 'arith');
    expect(missing).toEqual({ kind: 'call', id: 'a', service: 'arith', method: 'add', params: {} });
    const nullParams = decodeInbound(request({ params: null }), 'arith');
    expect(nullParams.kind === 'call' && nullParams.params).toEqual({});
  });

  it('reads a missing id and an id of null alike, as a notification', () => {
    const withoutId = decodeInbound(JSON.stringify({ jsonrpc: '2.0', method: 'arith.add', params: { a: 1 } }), 'arith');
    const nullId = decodeInbound(JSON.stringify({ jsonrpc: '2.0', method: 'arith.add', params: { a: 1 }, id: null }), 'arith');
    const expected = { kind: 'call', id: null, service: 'arith', method: 'add', params: { a: 1 } };
    expect(withoutId).toEqual(expected);
    expect(nullId).toEqual(expected);
  });

  it('reads spaced JSON and \\uXXXX escapes as the Python peer writes them', () => {
    // json.dumps(..., ensure_ascii=True) with its default ", " and ": " separators.
    const raw =
      '{"jsonrpc": "2.0", "method": "greet.hello", ' +
      '"params": {"name": "J\\u00fcrgen \\ud83d\\ude00", "tags": ["a", "\\u00e9"]}, "id": "\\u0061bc"}';
    expect(decodeInbound(raw, 'greet')).toEqual({
      kind: 'call',
      id: 'abc',
      service: 'greet',
      method: 'hello',
      params: { name: 'Jürgen 😀', tags: ['a', 'é'] },
    });
    const pretty = JSON.stringify({ jsonrpc: '2.0', method: 'greet.hello', params: { n: 1 }, id: 4 }, null, 2);
    expect(decodeInbound(`\n ${pretty} \n`, 'greet')).toEqual({
      kind: 'call',
      id: 4,
      service: 'greet',
      method: 'hello',
      params: { n: 1 },
    });
  });

  it('reads escapes inside the method name', () => {
    const raw = '{"jsonrpc":"2.0","method":"greet\\u002ehello","params":{},"id":"x"}';
    expect(decodeInbound(raw, 'greet')).toMatchObject({ kind: 'call', service: 'greet', method: 'hello' });
  });

  it('echoes integer ids back unchanged, as numbers', () => {
    for (const id of [0, 1, -3, 42, Number.MAX_SAFE_INTEGER]) {
      const entry = decodeInbound(`{"jsonrpc":"2.0","method":"arith.add","params":{},"id":${id}}`, 'arith');
      expect(entry).toMatchObject({ kind: 'call', id });
      expect(typeof entry.id).toBe('number');
      expect(encodeResult(entry.id as number, 1)).toBe(`{"jsonrpc":"2.0","id":${id},"result":1}`);
    }
  });

  it('keeps a numeric-looking string id a string', () => {
    const entry = decodeInbound(request({ id: '7' }), 'arith');
    expect(entry.id).toBe('7');
    expect(encodeResult(entry.id as string, null)).toBe('{"jsonrpc":"2.0","id":"7","result":null}');
  });

  it('keeps the id of an invalid request as it was written (integer or string)', () => {
    expect(expectInvalid(decodeInbound(request({ jsonrpc: '1.0', id: 12 }), 'arith')).id).toBe(12);
    expect(expectInvalid(decodeInbound(request({ jsonrpc: '1.0', id: '' }), 'arith')).id).toBe('');
  });

  it("accepts '-' in inbound method names, as the Python peer allows", () => {
    expect(decodeInbound(request({ method: 'user-store.get-by-id' }), 'user-store')).toMatchObject({
      kind: 'call',
      service: 'user-store',
      method: 'get-by-id',
    });
  });

  it('ignores envelope members it does not know', () => {
    expect(decodeInbound(request({ trace: { span: 'x' } }), 'arith')).toMatchObject({ kind: 'call', id: 'req-1' });
  });
});

describe('decodeReply', () => {
  it('reads a success reply, including a null result', () => {
    expect(decodeReply('{"jsonrpc":"2.0","id":"a","result":{"x":1}}')).toEqual({ id: 'a', result: { x: 1 } });
    expect(decodeReply('{"jsonrpc": "2.0", "id": 3, "result": null}')).toEqual({ id: 3, result: null });
  });

  it('reads an error reply, with data defaulting to null', () => {
    expect(decodeReply('{"jsonrpc":"2.0","id":"a","error":{"code":-32001,"message":"Nope","data":{"k":1}}}')).toEqual({
      id: 'a',
      error: { code: -32001, message: 'Nope', data: { k: 1 } },
    });
    expect(decodeReply('{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"Method not found"}}')).toEqual({
      id: 'a',
      error: { code: -32601, message: 'Method not found', data: null },
    });
  });

  it('reads an error reply with a null id', () => {
    expect(decodeReply('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error","data":null}}')).toEqual({
      id: null,
      error: { code: -32700, message: 'Parse error', data: null },
    });
  });

  it('returns null for anything that is not a JSON-RPC response', () => {
    const garbage: Array<string | undefined> = [
      undefined,
      '',
      'not json',
      '[]',
      '[{"jsonrpc":"2.0","id":"a","result":1}]',
      'null',
      '42',
      '{}',
      '{"jsonrpc":"2.0","id":"a"}', // neither result nor error
      '{"jsonrpc":"2.0","result":1}', // result without id
      '{"jsonrpc":"2.0","id":null,"result":1}',
      '{"jsonrpc":"2.0","id":1.5,"result":1}',
      '{"jsonrpc":"2.0","id":{},"result":1}',
      '{"jsonrpc":"2.0","id":"a","error":{"message":"no code"}}',
      '{"jsonrpc":"2.0","id":"a","error":{"code":"-32000","message":"string code"}}',
    ];
    for (const raw of garbage) expect({ raw, reply: decodeReply(raw) }).toEqual({ raw, reply: null });
  });
});

describe('integer ids a double cannot hold', () => {
  const envelope = (idText: string, extra = '') => `{"jsonrpc":"2.0","method":"arith.add","params":{"a":1}${extra},"id":${idText}}`;

  it('keeps the exact text of the id next to its nearest double, and replies echo that text', () => {
    for (const idText of ['12345678901234567890', '-98765432109876543210', '9007199254740993', '-9007199254740993', '1' + '0'.repeat(40)]) {
      const entry = decodeInbound(envelope(idText), 'arith');
      expect(entry).toMatchObject({ kind: 'call', id: Number(idText), idJson: idText });
      expect(encodeResult(entry.id as number, 3, entry.idJson)).toBe(`{"jsonrpc":"2.0","id":${idText},"result":3}`);
      const error = { code: -32601, message: 'Method not found', data: null };
      expect(encodeError(entry.id, error, entry.idJson)).toBe(
        `{"jsonrpc":"2.0","id":${idText},"error":{"code":-32601,"message":"Method not found","data":null}}`,
      );
    }
  });

  it('costs nothing for ids a double holds exactly: no idJson', () => {
    for (const idText of ['0', '-1', '9007199254740991', '-9007199254740991', '"12345678901234567890"']) {
      expect(decodeInbound(envelope(idText), 'arith').idJson).toBeUndefined();
    }
  });

  it('keeps the exact id of an invalid request too, for its -32600 / -32602 reply', () => {
    const wrongVersion = expectInvalid(decodeInbound('{"jsonrpc":"1.0","method":"arith.add","id":12345678901234567890}', 'arith'));
    expect(wrongVersion).toMatchObject({ id: 12345678901234567890, idJson: '12345678901234567890' });
    const arrayParams = expectInvalid(decodeInbound('{"jsonrpc":"2.0","method":"arith.add","params":[1],"id":-12345678901234567890}', 'arith'));
    expect(arrayParams).toMatchObject({ idJson: '-12345678901234567890', error: { code: ErrorCode.InvalidParams } });
  });

  it('takes the top-level id, never an "id" inside params or inside a string, whatever the spacing', () => {
    const raw =
      '{ "params" : { "id" : 11111111111111111111, "note" : "\\"id\\": 22222222222222222222" } ,\n' +
      '  "method" : "arith.add" , "jsonrpc" : "2.0" , "id" :  33333333333333333333 }';
    expect(decodeInbound(raw, 'arith')).toMatchObject({ kind: 'call', idJson: '33333333333333333333' });
  });

  it('refuses an id written with an exponent or a fraction beyond that range, like any non-integer id', () => {
    for (const idText of ['1e400', '1e20', '1E+20', '-1.5e300', '12345678901234567890.0', '1.2345678901234567e19']) {
      const entry = expectInvalid(decodeInbound(envelope(idText), 'arith'));
      expect({ idText, code: entry.error.code, id: entry.id, idJson: entry.idJson }).toEqual({
        idText,
        code: ErrorCode.InvalidRequest,
        id: null,
        idJson: undefined,
      });
    }
  });

  it('reads exponent or fraction forms within that range as their value, as before (JSON.parse cannot tell them apart)', () => {
    expect(decodeInbound(envelope('1e2'), 'arith')).toMatchObject({ kind: 'call', id: 100, idJson: undefined });
    expect(decodeInbound(envelope('7.0'), 'arith')).toMatchObject({ kind: 'call', id: 7, idJson: undefined });
  });
});

describe('reply encoding, byte for byte', () => {
  // What the encoders wrote before they were built by concatenation.
  const referenceResult = (id: unknown, result: unknown) =>
    JSON.stringify({ jsonrpc: '2.0', id, result: result === undefined ? null : result });
  const referenceError = (id: unknown, error: { code: number; message: string; data: unknown }) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id,
      error: { code: error.code, message: error.message, data: error.data === undefined ? null : error.data },
    });

  class Money {
    constructor(readonly cents: number) {}
    toJSON() {
      return { amount: this.cents / 100, currency: 'EUR' };
    }
  }

  const values: unknown[] = [
    undefined, null, 0, -0, 1, -1.5, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, NaN, Infinity, true, false,
    '', 'plain', 'quote " backslash \\ slash /', 'line\nbreak\ttab\u0000nul\u001f', 'Renée ☃ 😀 \u2028\u2029', '\ud800 lone surrogate',
    [], [1, 'two', null, [3]], [undefined, () => 1], {}, { a: 1, b: { c: [true, { d: 'é' }] } },
    { skipped: undefined, fn: () => 1, kept: 0 }, { 'key "with" quotes': 1, '': 2, 10: 'numeric key first' },
    new Date(Date.UTC(2024, 1, 29, 12, 0, 0)), new Money(1234), { nested: new Money(5), at: new Date(0) },
    Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
  ];
  const ids: Array<string | number | null> = ['id-1', '', 'ü "x"', 0, 7, -42, Number.MAX_SAFE_INTEGER, null];

  it('encodeResult matches JSON.stringify of { jsonrpc, id, result } for every value and id', () => {
    for (const id of ids.filter((id) => id !== null)) {
      for (const value of values) {
        expect(encodeResult(id as string | number, value)).toBe(referenceResult(id, value));
      }
    }
  });

  it('encodeError matches JSON.stringify of { jsonrpc, id, error: { code, message, data } } for every data and id', () => {
    for (const id of ids) {
      for (const data of values) {
        const error = { code: -32001, message: 'Insufficient funds: "€" \\ ☃', data };
        expect(encodeError(id, error)).toBe(referenceError(id, error));
      }
    }
  });

  it('writes `null` where JSON.stringify would drop the member (a function result or data)', () => {
    expect(encodeResult('x', () => 1)).toBe('{"jsonrpc":"2.0","id":"x","result":null}');
    expect(encodeError('x', { code: -32000, message: 'm', data: Symbol('s') })).toBe(
      '{"jsonrpc":"2.0","id":"x","error":{"code":-32000,"message":"m","data":null}}',
    );
  });

  it('still throws on what JSON cannot carry (BigInt, cycles), as before', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => encodeResult('x', 1n)).toThrow(TypeError);
    expect(() => encodeResult('x', cycle)).toThrow(TypeError);
  });
});
