import type { Redis } from 'ioredis';
import { ClamatorKeys } from '../../../lib/protocol/keys.js';
import { ReplayInterruptedError, replayDeadLetters } from '../../../lib/streams/inspection/dead-letter-replay.js';

const keys = new ClamatorKeys('p');
const buffers = (...items: string[]) => items.map((item) => Buffer.from(item));
const deadLetter = (id: string) => [
  Buffer.from(id),
  buffers('type', 'rpc', 'envelope', '{"method":"orders.create","id":"a"}', 'reply-to', 'p:replies:c', 'dead-reason', 'r', 'dead-deliveries', '11', 'dead-entry-id', '5-0', 'dead-at', '1'),
];

/** A connection holding two dead letters, recording the commands it gets; `fail` makes one command throw. */
function fakeConnection(fail?: 'xadd' | 'xdel') {
  const calls: string[] = [];
  const connection = {
    xrangeBuffer: async (_key: string, from: string, to: string) => {
      calls.push(`xrange ${from} ${to}`);
      return [deadLetter('10-0'), deadLetter('11-0')].filter(([id]) => from === '-' || String(id) === from);
    },
    xrevrange: async () => [['11-0', []]],
    xadd: async (key: string, id: string, ...fields: Buffer[]) => {
      calls.push(`xadd ${key} ${fields.map(String).join(' ')}`);
      if (fail === 'xadd') throw new Error('OOM command not allowed');
      return `20-${calls.length}`;
    },
    xdel: async (key: string, id: string) => {
      calls.push(`xdel ${key} ${id}`);
      if (fail === 'xdel') throw new Error('Connection is closed.');
      return 1;
    },
  };
  return { connection: connection as unknown as Redis, calls };
}

describe('replayDeadLetters', () => {
  it('adds each copy with its original fields only, then deletes the dead letter', async () => {
    const { connection, calls } = fakeConnection();
    const report = await replayDeadLetters(connection, keys, 'orders');
    expect(calls).toEqual([
      'xrange - 11-0',
      'xadd p:cmds:orders type rpc envelope {"method":"orders.create","id":"a"} reply-to p:replies:c',
      'xdel p:dead:orders 10-0',
      'xadd p:cmds:orders type rpc envelope {"method":"orders.create","id":"a"} reply-to p:replies:c',
      'xdel p:dead:orders 11-0',
    ]);
    expect(report.replayed.map((r) => [r.deadLetterId, r.originalEntryId, r.method])).toEqual([
      ['10-0', '5-0', 'orders.create'],
      ['11-0', '5-0', 'orders.create'],
    ]);
  });

  it('keeps the dead letter when its copy could not be stored, and says so', async () => {
    const { connection, calls } = fakeConnection('xadd');
    const error = await replayDeadLetters(connection, keys, 'orders', ['10-0']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayInterruptedError);
    expect((error as Error).message).toBe('dead letter 10-0 was not replayed: OOM command not allowed');
    expect(calls.some((call) => call.startsWith('xdel'))).toBe(false);
  });

  it('names the copy when the dead letter could not be deleted after it, with what was done before', async () => {
    const { connection } = fakeConnection('xdel');
    const error = (await replayDeadLetters(connection, keys, 'orders').catch((e: unknown) => e)) as ReplayInterruptedError;
    expect(error).toBeInstanceOf(ReplayInterruptedError);
    expect(error.message).toBe(
      'dead letter 10-0 was copied to p:cmds:orders as 20-2 but not removed from p:dead:orders (Connection is closed.): ' +
        'delete it there (XDEL) before replaying again, or it is delivered twice',
    );
    expect(error.report).toMatchObject({ service: 'orders', replayed: [] });
  });
});
