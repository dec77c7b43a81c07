import { topLevelMemberText } from '../../../lib/protocol/top-level-member.js';

const id = (json: string) => topLevelMemberText(json, 'id');

describe('topLevelMemberText', () => {
  it('returns the exact text of a top-level member, beyond what a double holds', () => {
    expect(id('{"jsonrpc":"2.0","method":"a.b","params":{},"id":12345678901234567890}')).toBe('12345678901234567890');
    expect(id('{"id":-98765432109876543210,"method":"a.b"}')).toBe('-98765432109876543210');
    expect(id('{"id":"abc"}')).toBe('"abc"');
    expect(id('{"id":7}')).toBe('7');
  });

  it('returns values of every kind as written: strings with escapes, objects, arrays, literals', () => {
    expect(id('{"id":"a\\"b\\\\"}')).toBe('"a\\"b\\\\"');
    expect(id('{"id":{"x":[1,{"id":2}],"y":"}"}}')).toBe('{"x":[1,{"id":2}],"y":"}"}');
    expect(id('{"id":[1,"]",[2]]}')).toBe('[1,"]",[2]]');
    expect(id('{"id":null}')).toBe('null');
    expect(id('{"id":true,"x":1}')).toBe('true');
    expect(id('{"id":-1.5e+3}')).toBe('-1.5e+3');
  });

  it('keeps exponent and fraction forms as written (the caller decides whether they are integers)', () => {
    expect(id('{"id":1e400}')).toBe('1e400');
    expect(id('{"id":1E20}')).toBe('1E20');
    expect(id('{"id":12345678901234567890.0}')).toBe('12345678901234567890.0');
  });

  it('never takes an "id" member nested in params, in an array, or in a later member', () => {
    expect(id('{"params":{"id":111111111111111111111},"id":22222222222222222222}')).toBe('22222222222222222222');
    expect(id('{"params":{"id":111111111111111111111}}')).toBeUndefined();
    expect(id('{"params":[{"id":1},{"deep":{"id":2}}],"method":"a.b"}')).toBeUndefined();
    expect(id('{"id":33333333333333333333,"params":{"id":1}}')).toBe('33333333333333333333');
  });

  it('never takes "id" appearing inside a string, a key with escaped quotes, or a value', () => {
    expect(id('{"method":"\\"id\\":44444444444444444444","id":5}')).toBe('5');
    expect(id('{"note":"{\\"id\\":9}","x":"id"}')).toBeUndefined();
    expect(id('{"x\\"id":1}')).toBeUndefined();
    expect(id('{"idx":1,"xid":2,"Id":3,"ID":4}')).toBeUndefined();
    expect(id('{"x":"\\\\","id":6}')).toBe('6');
  });

  it('reads a key written with escapes, as JSON.parse does', () => {
    expect(id('{"\\u0069d":55555555555555555555}')).toBe('55555555555555555555');
    expect(id('{"\\u0069\\u0064":"x"}')).toBe('"x"');
  });

  it('tolerates whitespace everywhere JSON allows it', () => {
    const spaced = ' \n\t{ "jsonrpc" : "2.0" ,\r\n  "params" : { "id" : 1 } ,  "id"  :\n 66666666666666666666 \n} ';
    expect(id(spaced)).toBe('66666666666666666666');
    expect(id('{ "id" : [ 1 , 2 ] }')).toBe('[ 1 , 2 ]');
    expect(id('{}')).toBeUndefined();
    expect(id('{ }')).toBeUndefined();
  });

  it('takes the last of duplicate members, as JSON.parse does', () => {
    const json = '{"id":1,"params":{},"id":77777777777777777777}';
    expect(id(json)).toBe('77777777777777777777');
    expect(JSON.parse(json).id).toBe(77777777777777777777);
  });

  it('returns undefined for JSON that is not an object', () => {
    for (const json of ['[{"id":1}]', '"id"', '42', 'null', '', '   ']) expect(id(json)).toBeUndefined();
  });

  it('never throws and always ends on malformed text', () => {
    for (const json of ['{', '{"id"', '{"id":', '{"id":"x', '{"id":{"a":[', '{"a" 1, "id": 2}', '{"a":1 "id":2}', '{"id":1,', '{,"id":1}']) {
      expect(() => id(json)).not.toThrow();
    }
  });

  it('agrees with JSON.parse on the member it finds, for many shapes', () => {
    const shapes: unknown[] = [
      { jsonrpc: '2.0', method: 'a.b', params: { id: 'inner', list: [{ id: 1 }] }, id: 'outer' },
      { params: { s: 'a "quoted" id', t: '\\', u: '{"id":3}' }, id: 9 },
      { id: 'é ☃ 😀', params: {} },
      { a: [[[]]], b: {}, id: -0.5, c: null },
    ];
    for (const shape of shapes) {
      for (const json of [JSON.stringify(shape), JSON.stringify(shape, null, 2)]) {
        const text = id(json);
        expect(text).toBeDefined();
        expect(JSON.parse(text as string)).toEqual((shape as { id: unknown }).id);
      }
    }
  });
});
