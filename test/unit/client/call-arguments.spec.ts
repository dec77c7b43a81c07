import { assertParams, assertRoute, assertTimeout, RouteCache } from '../../../lib/client/call-arguments.js';
import { MAX_TIMEOUT_MS } from '../../../lib/client/clamator-client.options.js';

describe('assertRoute', () => {
  it('accepts valid service and method names', () => {
    expect(() => assertRoute('arith', 'add')).not.toThrow();
    expect(() => assertRoute('user-store', 'getById')).not.toThrow();
    expect(() => assertRoute('v2', 'x1')).not.toThrow();
  });

  it('rejects an invalid service with a TypeError naming the call and the rule', () => {
    expect(() => assertRoute('Arith', 'add')).toThrow(TypeError);
    expect(() => assertRoute('Arith', 'add')).toThrow(/^ClamatorClient: cannot call Arith\.add: service name "Arith"/);
    for (const service of ['', '1arith', 'ar_ith', 'ar.ith', 'arith ']) {
      expect(() => assertRoute(service, 'add')).toThrow(TypeError);
    }
  });

  it('rejects an invalid method, including dashes that only inbound names may carry', () => {
    expect(() => assertRoute('arith', 'get-by-id')).toThrow(/method name "get-by-id"/);
    for (const method of ['', 'Add', '1add', 'add.more', 'add_one']) {
      expect(() => assertRoute('arith', method)).toThrow(TypeError);
    }
  });

  it('rejects non-string names from untyped callers', () => {
    expect(() => assertRoute(42 as unknown as string, 'add')).toThrow(TypeError);
    expect(() => assertRoute('arith', 42 as unknown as string)).toThrow(TypeError);
    expect(() => assertRoute('arith', {} as unknown as string)).toThrow(TypeError);
  });

  it('rejects undefined and null instead of calling services named "undefined" or "null"', () => {
    expect(() => assertRoute(undefined as unknown as string, 'add')).toThrow(/must be strings/);
    expect(() => assertRoute(null as unknown as string, 'add')).toThrow(TypeError);
    expect(() => assertRoute('arith', undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('assertParams', () => {
  it('accepts objects and absent params', () => {
    for (const params of [undefined, null, {}, { a: 1 }, new Date(0), Object.create(null)]) {
      expect(() => assertParams('arith.add', params)).not.toThrow();
    }
    class Dto {
      a = 1;
    }
    expect(() => assertParams('arith.add', new Dto())).not.toThrow();
  });

  it('rejects arrays and primitives with a TypeError naming the call', () => {
    expect(() => assertParams('arith.add', [1, 2])).toThrow('ClamatorClient: params of arith.add must be an object, got an array.');
    expect(() => assertParams('arith.add', 'text')).toThrow('ClamatorClient: params of arith.add must be an object, got string.');
    expect(() => assertParams('arith.add', 3)).toThrow(/got number/);
    expect(() => assertParams('arith.add', true)).toThrow(/got boolean/);
    expect(() => assertParams('arith.add', () => 1)).toThrow(/got function/);
    expect(() => assertParams('arith.add', [])).toThrow(TypeError);
  });
});

describe('assertTimeout', () => {
  it('accepts integers from 1 to the largest timer delay', () => {
    for (const timeoutMs of [1, 50, 30_000, MAX_TIMEOUT_MS]) expect(() => assertTimeout(timeoutMs)).not.toThrow();
  });

  it('rejects zero, negatives, fractions, out-of-range and non-numbers', () => {
    for (const timeoutMs of [0, -1, 1.5, MAX_TIMEOUT_MS + 1, Number.NaN, Number.POSITIVE_INFINITY, '100', null, undefined]) {
      expect(() => assertTimeout(timeoutMs)).toThrow(TypeError);
    }
    expect(() => assertTimeout(0)).toThrow(`ClamatorClient: timeoutMs must be an integer between 1 and ${MAX_TIMEOUT_MS}, got 0.`);
  });
});

describe('RouteCache', () => {
  it("resolves 'service.method' strings", () => {
    expect(new RouteCache().resolve('user-store.getById')).toEqual({ service: 'user-store', method: 'getById' });
  });

  it('resolves { service, method } patterns', () => {
    expect(new RouteCache().resolve({ service: 'arith', method: 'add' })).toEqual({ service: 'arith', method: 'add' });
  });

  it('resolves the JSON text Nest makes of a { service, method } pattern', () => {
    expect(new RouteCache().resolve(JSON.stringify({ method: 'add', service: 'arith' }))).toEqual({ service: 'arith', method: 'add' });
  });

  it('rejects patterns that are not routes or break the name rules, naming the pattern', () => {
    const cache = new RouteCache();
    const invalid: unknown[] = [
      'arith',
      'Arith.add',
      'arith.get-by-id',
      { service: 'arith' },
      { service: 'arith', method: 'add', version: 1 },
      { service: 'Arith', method: 'add' },
      { cmd: 'sum' },
      42,
      null,
    ];
    for (const pattern of invalid) expect(() => cache.resolve(pattern)).toThrow(TypeError);
    expect(() => cache.resolve({ service: 'Arith', method: 'add' })).toThrow(/\{"service":"Arith","method":"add"\}/);
  });

  it('rejects an invalid string pattern every time, never caching it', () => {
    const cache = new RouteCache();
    expect(() => cache.resolve('Arith.add')).toThrow(TypeError);
    expect(() => cache.resolve('Arith.add')).toThrow(TypeError);
  });

  it('answers repeated string patterns from its cache', () => {
    const cache = new RouteCache();
    const first = cache.resolve('arith.add');
    expect(cache.resolve('arith.add')).toBe(first);
    expect(cache.resolve('arith.sub')).not.toBe(first);
  });

  it('stops caching at its bound but still resolves new patterns', () => {
    const cache = new RouteCache(2);
    const a = cache.resolve('svc.a');
    const b = cache.resolve('svc.b');
    const c = cache.resolve('svc.c');
    expect(c).toEqual({ service: 'svc', method: 'c' });
    expect(cache.resolve('svc.a')).toBe(a);
    expect(cache.resolve('svc.b')).toBe(b);
    const again = cache.resolve('svc.c');
    expect(again).toEqual(c);
    expect(again).not.toBe(c);
  });
});
