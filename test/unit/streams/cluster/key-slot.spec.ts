import { KeySlots, keySlot } from '../../../../lib/streams/cluster/key-slot.js';

describe('keySlot', () => {
  it('is CRC16/XMODEM of the key modulo 16384, as Redis Cluster computes it', () => {
    // 0x31C3 is the CRC16/XMODEM check value of "123456789"; "foo" is Redis's documented example.
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
  });

  it('hashes only the hash tag when there is a non-empty one', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{app}:cmds:a')).toBe(keySlot('{app}:replies:b'));
    // An empty tag ("{}") is no tag: the whole key is hashed.
    expect(keySlot('foo{}bar')).not.toBe(keySlot(''));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});

describe('KeySlots', () => {
  it('groups items by slot and tells whether all keys share one', () => {
    const slots = new KeySlots();
    const items = ['{a}:1', '{b}:1', '{a}:2'];
    expect([...slots.group(items, (key) => key).values()]).toEqual([['{a}:1', '{a}:2'], ['{b}:1']]);
    expect(slots.allIn(items, (key) => [key])).toBe(false);
    expect(slots.allIn(['{a}:1', '{a}:2'], (key) => [key, undefined])).toBe(true);
    expect(slots.allIn(['{a}:1'], (key) => [key], keySlot('{b}:x'))).toBe(false);
  });
});
