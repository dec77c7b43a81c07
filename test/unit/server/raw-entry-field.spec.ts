import type { Redis } from 'ioredis';
import { rawFieldLookup } from '../../../lib/server/raw-entry-field.js';

/** A connection whose XRANGE (Buffer form) answers `reply` and records its arguments. */
function fakeConnection(reply: unknown) {
  const calls: unknown[][] = [];
  const connection = {
    xrangeBuffer: async (...args: unknown[]) => {
      calls.push(args);
      return reply;
    },
  } as unknown as Redis;
  return { calls, connection };
}

const b = (text: string) => Buffer.from(text, 'latin1');

describe('rawFieldLookup', () => {
  it('reads the first field of that name of the one entry, as raw bytes, with XRANGE key id id', async () => {
    const value = Buffer.from([0x70, 0xff, 0xfe]);
    const { calls, connection } = fakeConnection([[b('1-1'), [b('type'), b('rpc'), b('reply-to'), value, b('reply-to'), b('second')]]]);
    await expect(rawFieldLookup(() => connection, 'p:cmds:arith')('1-1', 'reply-to')).resolves.toEqual(value);
    expect(calls).toEqual([['p:cmds:arith', '1-1', '1-1']]);
  });

  it('answers undefined when the entry or the field is gone', async () => {
    await expect(rawFieldLookup(() => fakeConnection([]).connection, 'k')('1-1', 'reply-to')).resolves.toBeUndefined();
    await expect(rawFieldLookup(() => fakeConnection([[b('1-1'), null]]).connection, 'k')('1-1', 'reply-to')).resolves.toBeUndefined();
    const withoutField = fakeConnection([[b('1-1'), [b('type'), b('rpc')]]]).connection;
    await expect(rawFieldLookup(() => withoutField, 'k')('1-1', 'reply-to')).resolves.toBeUndefined();
  });

  it('asks for the connection on every lookup', async () => {
    let asked = 0;
    const { connection } = fakeConnection([]);
    const read = rawFieldLookup(() => {
      asked += 1;
      return connection;
    }, 'k');
    await read('1-1', 'f');
    await read('1-2', 'f');
    expect(asked).toBe(2);
  });
});
