import { createHash } from 'node:crypto';
import { APPEND_ENTRIES_SCRIPT, appendEntriesCall, type OutgoingEntry } from '../../../../lib/streams/scripts/append-entries.script.js';
import { chunked, isNoScriptError, isScriptRefusedError, MAX_SCRIPT_BATCH, parseScriptFailures } from '../../../../lib/streams/scripts/redis-script.js';
import { ACK_CHUNK, type HandledEntryWrite, parseReplyAndAckFailures, REPLY_AND_ACK_SCRIPT, replyAndAckCall } from '../../../../lib/streams/scripts/reply-and-ack.script.js';

const write = (streamKey: string, entryId: string, replyTo?: string, envelope?: string, ackWithoutReply = false): HandledEntryWrite => ({
  streamKey,
  group: streamKey.split(':').at(-1) as string,
  entryId,
  replyTo,
  envelope,
  ackWithoutReply,
});

describe('replyAndAckCall', () => {
  it('declares every reply stream, in the order of their entries grouped by command stream, then every command stream, as keys', () => {
    const call = replyAndAckCall(
      [write('p:cmds:a', '1-0', 'p:replies:x', '{"r":1}'), write('p:cmds:b', '2-0', 'p:replies:z', '{"r":2}'), write('p:cmds:a', '3-0', 'p:replies:y', '{"r":3}')],
      1024,
      600_000,
    );
    expect(call.keyCount).toBe(5);
    expect(call.argv.slice(0, 5)).toEqual(['p:replies:x', 'p:replies:y', 'p:replies:z', 'p:cmds:a', 'p:cmds:b']);
  });

  it('passes MAXLEN, expiry and the envelopes in that order, then each group with its entry count, one mark per entry and the ids', () => {
    const call = replyAndAckCall(
      [write('p:cmds:a', '1-0', 'p:replies:x', '{"r":1}'), write('p:cmds:b', '2-0'), write('p:cmds:a', '3-0', 'p:replies:y', '{"r":3}')],
      1024,
      600_000,
    );
    expect(call.argv.slice(call.keyCount)).toEqual([1024, 600_000, 2, '{"r":1}', '{"r":3}', 'a', 2, 'rr', '1-0', '3-0', 'b', 1, 'n', '2-0']);
  });

  it('marks an entry acknowledged whatever becomes of its reply with f', () => {
    const call = replyAndAckCall([write('p:cmds:a', '1-0', 'p:replies:x', '{"r":1}', true), write('p:cmds:a', '2-0', 'p:replies:x', '{"r":2}')], 10, 1000);
    expect(call.argv.slice(call.keyCount)).toEqual([10, 1000, 2, '{"r":1}', '{"r":2}', 'a', 2, 'fr', '1-0', '2-0']);
  });

  it('acknowledges entries without a reply (notifications) with no reply key', () => {
    const call = replyAndAckCall([write('p:cmds:a', '1-0'), write('p:cmds:a', '1-1')], 10, 1000);
    expect(call).toEqual({ keyCount: 1, argv: ['p:cmds:a', 10, 1000, 0, 'a', 2, 'nn', '1-0', '1-1'] });
  });

  it("keeps the groups of one command stream apart (a service's own and a subscription's), each acknowledged in its own name", () => {
    const own = write('p:cmds:a', '1-0', 'p:replies:x', '{"r":1}');
    const subscription = { ...write('p:cmds:a', '1-0'), group: 'subscription:billing' };
    const call = replyAndAckCall([own, subscription, { ...write('p:cmds:a', '2-0'), group: 'subscription:billing' }], 10, 1000);
    expect(call).toEqual({
      keyCount: 3,
      argv: ['p:replies:x', 'p:cmds:a', 'p:cmds:a', 10, 1000, 1, '{"r":1}', 'a', 1, 'r', '1-0', 'subscription:billing', 2, 'nn', '1-0', '2-0'],
    });
  });

  it('acknowledges in chunks the script can unpack', () => {
    expect(ACK_CHUNK).toBeLessThanOrEqual(1000);
    expect(REPLY_AND_ACK_SCRIPT.source).toContain(`first + ${ACK_CHUNK - 1}`);
    expect(REPLY_AND_ACK_SCRIPT.source).toContain('unpack(ids, first, upto)');
  });
});

describe('parseReplyAndAckFailures', () => {
  it('tells entries whose reply was not stored from streams whose acknowledgement failed', () => {
    expect(
      parseReplyAndAckFailures(['reply', '1-0', 'OOM command not allowed', 'ack', 'p:cmds:a', 'NOGROUP', 'reply', '2-0', 'WRONGTYPE']),
    ).toEqual({
      unstoredReplies: [
        { entryId: '1-0', message: 'OOM command not allowed' },
        { entryId: '2-0', message: 'WRONGTYPE' },
      ],
      failedAcks: [{ streamKey: 'p:cmds:a', message: 'NOGROUP' }],
    });
  });

  it('finds no failure in an empty or unexpected reply', () => {
    for (const reply of [[], null, 0, 'x']) expect(parseReplyAndAckFailures(reply)).toEqual({ unstoredReplies: [], failedAcks: [] });
  });
});

describe('appendEntriesCall', () => {
  const entry = (streamKey: string, envelope: string, replyTo?: string, metadata?: string): OutgoingEntry => ({
    streamKey,
    envelope,
    replyTo,
    metadata,
    settle: () => undefined,
  });

  it('declares the command stream of each entry and passes envelope, reply stream and metadata in threes', () => {
    const call = appendEntriesCall([
      entry('p:cmds:a', '{"n":1}', 'p:replies:c'),
      entry('p:cmds:b', '{"n":2}', undefined, '{"t":"x"}'),
      entry('p:cmds:a', '{"n":3}', 'p:replies:c', '{"t":"y"}'),
    ]);
    expect(call).toEqual({
      keyCount: 3,
      argv: ['p:cmds:a', 'p:cmds:b', 'p:cmds:a', '{"n":1}', 'p:replies:c', '', '{"n":2}', '', '{"t":"x"}', '{"n":3}', 'p:replies:c', '{"t":"y"}'],
    });
  });

  it('writes the wire fields in the order peers write them', () => {
    expect(APPEND_ENTRIES_SCRIPT.source).toContain(`'*', 'type', 'rpc', 'envelope', envelope, 'reply-to', replyTo)`);
    expect(APPEND_ENTRIES_SCRIPT.source).toContain(`'*', 'type', 'rpc', 'envelope', envelope)`);
    expect(REPLY_AND_ACK_SCRIPT.source).toContain(`'MAXLEN', '~', maxLen, '*', 'type', 'rpc', 'envelope', ARGV[3 + i])`);
  });
});

describe('parseScriptFailures', () => {
  it('reads the flat list of position (or key) and message', () => {
    expect(parseScriptFailures([2, 'WRONGTYPE Operation against a key holding the wrong kind of value', 'p:x', 'OOM'])).toEqual([
      { at: '2', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
      { at: 'p:x', message: 'OOM' },
    ]);
  });

  it('finds no failure in an empty or unexpected reply', () => {
    expect(parseScriptFailures([])).toEqual([]);
    expect(parseScriptFailures(null)).toEqual([]);
    expect(parseScriptFailures(0)).toEqual([]);
  });
});

describe('RedisScript', () => {
  it('is named by the SHA1 of its source, as Redis names cached scripts', () => {
    for (const script of [REPLY_AND_ACK_SCRIPT, APPEND_ENTRIES_SCRIPT]) {
      expect(script.sha).toBe(createHash('sha1').update(script.source).digest('hex'));
      expect(script.sha).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('tells a missing script from a refused one', () => {
    const noScript = new Error('NOSCRIPT No matching script. Please use EVAL.');
    const noPermission = new Error("NOPERM User clamator has no permissions to run the 'evalsha' command");
    const unknown = new Error("ERR unknown command 'EVALSHA', with args beginning with: ");
    const wrongType = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    expect([noScript, noPermission, unknown, wrongType].map(isNoScriptError)).toEqual([true, false, false, false]);
    expect([noScript, noPermission, unknown, wrongType].map(isScriptRefusedError)).toEqual([false, true, true, false]);
    expect(isScriptRefusedError('NOPERM as a string')).toBe(false);
  });
});

describe('chunked', () => {
  it('keeps a batch that fits as it is', () => {
    const batch = [1, 2, 3];
    expect(chunked(batch, 3)[0]).toBe(batch);
  });

  it('cuts a larger one into consecutive slices, in order, losing nothing', () => {
    expect(chunked([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    const big = Array.from({ length: 1200 }, (_, i) => i);
    const chunks = chunked(big, MAX_SCRIPT_BATCH);
    expect(chunks.map((chunk) => chunk.length)).toEqual([512, 512, 176]);
    expect(chunks.flat()).toEqual(big);
  });
});
