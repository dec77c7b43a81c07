import { DEAD_LETTER_FIELDS, deadLetterFieldsStart, envelopeMethod, parseDeadLetter } from '../../../lib/streams/inspection/dead-letters.js';
import { firstEntryId, parseBufferEntries, parseGroupsDetail, parseTimeMs, streamIdMs } from '../../../lib/streams/inspection/inspection-replies.js';
import { escapeGlob } from '../../../lib/streams/inspection/key-scan.js';
import { isOrphanReplyStream } from '../../../lib/streams/inspection/reply-streams.js';
import { isIdleConsumer } from '../../../lib/streams/inspection/stream-operations.js';

const request = ['type', 'rpc', 'envelope', '{"jsonrpc":"2.0","method":"orders.create","params":{},"id":"a"}', 'reply-to', 'p:replies:c1', 'metadata', '{"tenant":"t1"}'];
const deadFields = ['dead-reason', 'delivered 11 times', 'dead-deliveries', '11', 'dead-entry-id', '5-0', 'dead-at', '1700000000000'];

describe('parseGroupsDetail', () => {
  const resp2 = [
    ['name', 'orders', 'consumers', 2, 'pending', 3, 'last-delivered-id', '9-0', 'entries-read', 9, 'lag', 4],
    ['name', 'subscription:billing', 'consumers', 0, 'pending', 0, 'last-delivered-id', '0-0', 'entries-read', null, 'lag', null],
  ];

  it('reads RESP2 records, lag and entries-read included (nil: unknown)', () => {
    expect(parseGroupsDetail(resp2)).toEqual([
      { name: 'orders', consumers: 2, pending: 3, lastDeliveredId: '9-0', entriesRead: 9, lag: 4 },
      { name: 'subscription:billing', consumers: 0, pending: 0, lastDeliveredId: '0-0', entriesRead: null, lag: null },
    ]);
  });

  it('reads RESP3 maps and objects the same way', () => {
    const asMap = resp2.map((row) => new Map(Array.from({ length: row.length / 2 }, (_, i) => [row[2 * i], row[2 * i + 1]])));
    const asObject = asMap.map((map) => Object.fromEntries(map));
    expect(parseGroupsDetail(asMap)).toEqual(parseGroupsDetail(resp2));
    expect(parseGroupsDetail(asObject)).toEqual(parseGroupsDetail(resp2));
  });

  it('gives lag null before Redis 7 (no such field)', () => {
    expect(parseGroupsDetail([['name', 'g', 'consumers', 1, 'pending', 0, 'last-delivered-id', '1-0']])[0]).toMatchObject({ lag: null, entriesRead: null });
  });
});

describe('reply helpers', () => {
  it('reads TIME and stream id times', () => {
    expect(parseTimeMs(['1700000000', '123456'])).toBe(1_700_000_000_123);
    expect(streamIdMs('1700000000123-7')).toBe(1_700_000_000_123);
  });

  it('reads entries with Buffer replies, bytes as they are', () => {
    const bytes = Buffer.from([0xff, 0x61]);
    const [entry] = parseBufferEntries([[Buffer.from('1-0'), [Buffer.from('reply-to'), bytes]]]);
    expect(entry.id).toBe('1-0');
    expect(entry.fields[1].equals(bytes)).toBe(true);
    expect(parseBufferEntries(null)).toEqual([]);
  });

  it('reads the first id of a range', () => {
    expect(firstEntryId([['3-0', ['a', 'b']]])).toBe('3-0');
    expect(firstEntryId([])).toBeNull();
  });
});

describe('escapeGlob', () => {
  it('makes a key prefix match itself only', () => {
    expect(escapeGlob('plain:prefix')).toBe('plain:prefix');
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });
});

describe('dead letters', () => {
  it('splits the original fields from the dead-letter fields at dead-reason', () => {
    expect(deadLetterFieldsStart([...request, ...deadFields], (f) => f)).toBe(request.length);
    expect(deadLetterFieldsStart(request, (f) => f)).toBe(-1);
    // A value that happens to read "dead-reason" is not a field name.
    expect(deadLetterFieldsStart(['note', 'dead-reason', ...deadFields], (f) => f)).toBe(2);
    expect(DEAD_LETTER_FIELDS.reason).toBe('dead-reason');
  });

  it('reads a dead letter the way the server writes it', () => {
    expect(parseDeadLetter({ id: '10-0', fields: [...request, ...deadFields] })).toEqual({
      id: '10-0',
      entryId: '5-0',
      reason: 'delivered 11 times',
      deliveries: 11,
      deadAtMs: 1_700_000_000_000,
      method: 'orders.create',
      replyTo: 'p:replies:c1',
      originalFields: request,
    });
  });

  it('reads an entry without dead-letter fields as one with nothing known', () => {
    expect(parseDeadLetter({ id: '1-0', fields: ['envelope', 'not json'] })).toEqual({
      id: '1-0',
      entryId: null,
      reason: null,
      deliveries: null,
      deadAtMs: null,
      method: null,
      replyTo: null,
      originalFields: null,
    });
  });

  it('reads the method of an envelope, or null', () => {
    expect(envelopeMethod('{"method":"a.b"}')).toBe('a.b');
    expect(envelopeMethod('{"method":1}')).toBeNull();
    expect(envelopeMethod('[1]')).toBeNull();
    expect(envelopeMethod('null')).toBeNull();
    expect(envelopeMethod(undefined)).toBeNull();
  });
});

describe('what cleanup removes', () => {
  it('removes a consumer only when idle past the bound with nothing pending', () => {
    expect(isIdleConsumer({ name: 'c', pending: 0, idleMs: 1001 }, 1000)).toBe(true);
    expect(isIdleConsumer({ name: 'c', pending: 0, idleMs: 1000 }, 1000)).toBe(false);
    expect(isIdleConsumer({ name: 'c', pending: 1, idleMs: 5000 }, 1000)).toBe(false);
  });

  it('takes a reply stream for an orphan only without a TTL and without a recent reply', () => {
    const stream = { key: 'p:replies:x', length: 1 };
    expect(isOrphanReplyStream({ ...stream, ttlMs: null, lastReplyAgeMs: 2000 }, 1000)).toBe(true);
    expect(isOrphanReplyStream({ ...stream, length: 0, ttlMs: null, lastReplyAgeMs: null }, 1000)).toBe(true);
    expect(isOrphanReplyStream({ ...stream, ttlMs: null, lastReplyAgeMs: 500 }, 1000)).toBe(false);
    expect(isOrphanReplyStream({ ...stream, ttlMs: 60_000, lastReplyAgeMs: 2000 }, 1000)).toBe(false);
  });
});
