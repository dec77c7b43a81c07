import { decodeMetadata, encodeMetadata, MAX_METADATA_BYTES } from '../../../lib/protocol/metadata.js';

describe('encodeMetadata', () => {
  it('writes an object of strings as JSON, and nothing for none', () => {
    expect(encodeMetadata({ tenant: 't1', 'trace-id': 'é' }, 'a.b')).toBe('{"tenant":"t1","trace-id":"é"}');
    expect(encodeMetadata(undefined, 'a.b')).toBeUndefined();
    expect(encodeMetadata({}, 'a.b')).toBeUndefined();
  });

  it('refuses what is not an object of strings, naming the call and the key', () => {
    expect(() => encodeMetadata({ tenant: 7 }, 'arith.add')).toThrow(/metadata of arith\.add must hold strings only, but "tenant" is number/);
    expect(() => encodeMetadata({ tenant: null }, 'arith.add')).toThrow(/"tenant" is null/);
    for (const bad of [null, 'x', 5, ['a']]) expect(() => encodeMetadata(bad, 'arith.add')).toThrow(TypeError);
  });

  it(`refuses more than ${MAX_METADATA_BYTES} bytes`, () => {
    expect(() => encodeMetadata({ big: 'x'.repeat(MAX_METADATA_BYTES) }, 'arith.add')).toThrow(/takes \d+ bytes, more than 8192/);
    expect(encodeMetadata({ fits: 'x'.repeat(MAX_METADATA_BYTES - 20) }, 'arith.add')).toBeDefined();
  });
});

describe('decodeMetadata', () => {
  it('reads an object of strings', () => {
    expect(decodeMetadata('{"tenant":"t1"}')).toEqual({ metadata: { tenant: 't1' } });
    expect(decodeMetadata('{ "a" : "\\u00e9" }')).toEqual({ metadata: { a: 'é' } });
  });

  it('says why anything else is ignored', () => {
    expect(decodeMetadata('not json')).toEqual({ invalid: expect.stringMatching(/^not JSON/) });
    expect(decodeMetadata('[1]')).toEqual({ invalid: 'must be an object of strings' });
    expect(decodeMetadata('{"n":1}')).toEqual({ invalid: 'must hold strings only, but "n" is number' });
    expect(decodeMetadata(JSON.stringify({ big: 'x'.repeat(MAX_METADATA_BYTES) }))).toEqual({ invalid: `larger than ${MAX_METADATA_BYTES} bytes` });
  });
});
