import {
  describeRouteViolation,
  INBOUND_METHOD_NAME_PATTERN,
  METHOD_NAME_PATTERN,
  parseOutboundPattern,
  routeFromPattern,
  SERVICE_NAME_PATTERN,
  splitQualifiedMethod,
} from '../../../lib/protocol/names.js';

describe('name patterns', () => {
  it('accepts service names of lower-case letters, digits and dashes starting with a letter', () => {
    for (const name of ['a', 'arith', 'user-store', 'v2', 'a-1-b', 'x-']) expect(SERVICE_NAME_PATTERN.test(name)).toBe(true);
    for (const name of ['', 'Arith', '1arith', '-arith', 'user_store', 'user.store', 'user store', 'ärith']) {
      expect({ name, ok: SERVICE_NAME_PATTERN.test(name) }).toEqual({ name, ok: false });
    }
  });

  it('accepts camelCase method names and, on input only, dashes', () => {
    for (const name of ['add', 'getById', 'v2', 'aB1']) {
      expect(METHOD_NAME_PATTERN.test(name)).toBe(true);
      expect(INBOUND_METHOD_NAME_PATTERN.test(name)).toBe(true);
    }
    expect(METHOD_NAME_PATTERN.test('get-by-id')).toBe(false);
    expect(INBOUND_METHOD_NAME_PATTERN.test('get-by-id')).toBe(true);
    for (const name of ['', 'Add', '1add', 'get_by_id', 'get.by', '-add']) {
      expect({ name, ok: INBOUND_METHOD_NAME_PATTERN.test(name) }).toEqual({ name, ok: false });
    }
  });
});

describe('describeRouteViolation', () => {
  it('returns null for a valid route', () => {
    expect(describeRouteViolation({ service: 'user-store', method: 'getById' })).toBeNull();
  });

  it('names the service and its rule when the service is invalid', () => {
    const violation = describeRouteViolation({ service: 'User', method: 'get' });
    expect(violation).toContain('"User"');
    expect(violation).toContain(String(SERVICE_NAME_PATTERN));
  });

  it('names the method and its rule when the method is invalid', () => {
    const violation = describeRouteViolation({ service: 'users', method: 'Get' });
    expect(violation).toContain('"Get"');
    expect(violation).toContain(String(METHOD_NAME_PATTERN));
  });

  it('rejects a dash in a method outbound but accepts it inbound', () => {
    const route = { service: 'users', method: 'get-by-id' };
    expect(describeRouteViolation(route)).toContain('get-by-id');
    expect(describeRouteViolation(route, true)).toBeNull();
  });
});

describe('splitQualifiedMethod', () => {
  it('splits at the first dot', () => {
    expect(splitQualifiedMethod('arith.add')).toEqual({ service: 'arith', method: 'add' });
    expect(splitQualifiedMethod('a.b.c')).toEqual({ service: 'a', method: 'b.c' });
    expect(splitQualifiedMethod('.add')).toEqual({ service: '', method: 'add' });
    expect(splitQualifiedMethod('arith.')).toEqual({ service: 'arith', method: '' });
  });

  it('returns null without a dot', () => {
    expect(splitQualifiedMethod('arith')).toBeNull();
    expect(splitQualifiedMethod('')).toBeNull();
  });
});

describe('routeFromPattern', () => {
  it("reads 'service.method' strings", () => {
    expect(routeFromPattern('arith.add')).toEqual({ service: 'arith', method: 'add' });
  });

  it('reads { service, method } objects', () => {
    expect(routeFromPattern({ service: 'arith', method: 'add' })).toEqual({ service: 'arith', method: 'add' });
  });

  it('reads the JSON text Nest makes of an object pattern, whatever the key order', () => {
    expect(routeFromPattern('{"method":"add","service":"arith"}')).toEqual({ service: 'arith', method: 'add' });
    expect(routeFromPattern('{"service":"arith","method":"add"}')).toEqual({ service: 'arith', method: 'add' });
  });

  it('returns null for patterns of neither shape', () => {
    const patterns: unknown[] = [
      'arith',
      '{not json',
      '{"service":"arith"}',
      { service: 'arith' },
      { service: 'arith', method: 'add', version: 2 },
      { service: 'arith', method: 5 },
      { cmd: 'add' },
      42,
      null,
      undefined,
      ['arith', 'add'],
    ];
    for (const pattern of patterns) expect({ pattern, route: routeFromPattern(pattern) }).toEqual({ pattern, route: null });
  });
});

describe('parseOutboundPattern', () => {
  it('returns the route of a valid pattern', () => {
    expect(parseOutboundPattern('user-store.getById')).toEqual({ service: 'user-store', method: 'getById' });
    expect(parseOutboundPattern({ service: 'arith', method: 'add' })).toEqual({ service: 'arith', method: 'add' });
  });

  it('throws a TypeError naming a pattern that is not a route', () => {
    expect(() => parseOutboundPattern('arith')).toThrow(TypeError);
    expect(() => parseOutboundPattern('arith')).toThrow(/"arith".*not a clamator route/);
    expect(() => parseOutboundPattern({ cmd: 'sum' })).toThrow(/\{"cmd":"sum"\}.*not a clamator route/);
  });

  it('throws a TypeError naming the pattern and the rule it breaks', () => {
    expect(() => parseOutboundPattern('Arith.add')).toThrow(TypeError);
    expect(() => parseOutboundPattern('Arith.add')).toThrow(/"Arith.add".*not a valid clamator route.*service name "Arith"/);
    expect(() => parseOutboundPattern('arith.get-by-id')).toThrow(/method name "get-by-id"/);
    expect(() => parseOutboundPattern('arith.add.more')).toThrow(/method name "add.more"/);
  });
});
