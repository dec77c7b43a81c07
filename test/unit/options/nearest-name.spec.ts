import { editDistance, maxSuggestionDistance, nearestName } from '../../../lib/options/nearest-name.js';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('concurency', 'concurrency')).toBe(1);
    expect(editDistance('concurrrency', 'concurrency')).toBe(1);
    expect(editDistance('blokMs', 'blockMs')).toBe(1);
    expect(editDistance('readCont', 'readCount')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('', '')).toBe(0);
  });

  it('counts a swap of two neighbours as one edit', () => {
    expect(editDistance('keyPerfix', 'keyPrefix')).toBe(1);
    expect(editDistance('maxDelivreies', 'maxDeliveries')).toBe(1);
  });

  it('ignores case', () => {
    expect(editDistance('keyprefix', 'keyPrefix')).toBe(0);
    expect(editDistance('BLOCKMS', 'blockMs')).toBe(0);
  });

  it('is symmetric', () => {
    for (const [a, b] of [['redis_url', 'redisUrl'], ['timeout', 'defaultTimeoutMs'], ['ab', 'ba']]) {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
    }
  });
});

describe('nearestName', () => {
  const names = ['keyPrefix', 'redis', 'redisUrl', 'redisOptions', 'instanceId', 'concurrency', 'readCount', 'blockMs', 'replyReadCount'];

  it('suggests the closest known name', () => {
    expect(nearestName('concurency', names)).toBe('concurrency');
    expect(nearestName('keyprefix', names)).toBe('keyPrefix');
    expect(nearestName('redis_url', names)).toBe('redisUrl');
    expect(nearestName('redisOption', names)).toBe('redisOptions');
    expect(nearestName('replyReadCont', names)).toBe('replyReadCount');
    expect(nearestName('blokMs', names)).toBe('blockMs');
    expect(nearestName('blockMsec', names)).toBe('blockMs');
  });

  it('takes the first of equally close names', () => {
    expect(nearestName('ab', ['ax', 'ay'])).toBe('ax');
  });

  it('suggests nothing when every name is too far away for a suggestion to be more than a guess', () => {
    expect(nearestName('timeout', names)).toBeUndefined();
    expect(nearestName('url', names)).toBeUndefined();
    expect(nearestName('x', names)).toBeUndefined();
    expect(nearestName('somethingElseEntirely', names)).toBeUndefined();
    expect(nearestName('anything', [])).toBeUndefined();
  });

  it('allows a third of the name length in edits, at least one', () => {
    expect(maxSuggestionDistance('ab')).toBe(1);
    expect(maxSuggestionDistance('blockMs')).toBe(2);
    expect(maxSuggestionDistance('concurency')).toBe(3);
  });
});
