import {
  fieldValue,
  rawFieldValue,
  parseAutoClaimReply,
  parseEntries,
  parseGroupsInfo,
  parsePendingReply,
  parseReadReply,
} from '../../../lib/streams/stream-replies.js';

const request = ['type', 'rpc', 'envelope', '{"jsonrpc":"2.0","method":"arith.add","params":{},"id":"a"}', 'reply-to', 'p:replies:c1'];
const notification = ['type', 'rpc', 'envelope', '{"jsonrpc":"2.0","method":"arith.reset"}'];

describe('parseReadReply', () => {
  it('reads nothing from a timed-out read (null)', () => {
    expect(parseReadReply(null)).toEqual([]);
    expect(parseReadReply(undefined)).toEqual([]);
  });

  it("reads RESP2's [[key, entries]]", () => {
    const raw = [['p:cmds:arith', [['1-0', request], ['1-1', notification]]]];
    expect(parseReadReply(raw)).toEqual([
      { id: '1-0', fields: request },
      { id: '1-1', fields: notification },
    ]);
  });

  it("reads RESP3's { key: entries } object", () => {
    const raw = { 'p:cmds:arith': [['2-0', request]] };
    expect(parseReadReply(raw)).toEqual([{ id: '2-0', fields: request }]);
  });

  it('reads a Map of key to entries', () => {
    const raw = new Map([['p:cmds:arith', [['3-0', notification], ['3-1', request]]]]);
    expect(parseReadReply(raw)).toEqual([
      { id: '3-0', fields: notification },
      { id: '3-1', fields: request },
    ]);
  });

  it('reads entries of several streams in order', () => {
    const raw = [
      ['a', [['1-0', notification]]],
      ['b', [['1-1', request]]],
    ];
    expect(parseReadReply(raw).map((entry) => entry.id)).toEqual(['1-0', '1-1']);
  });

  it('reads an empty entry list', () => {
    expect(parseReadReply([['p:cmds:arith', []]])).toEqual([]);
    expect(parseReadReply({ 'p:cmds:arith': [] })).toEqual([]);
    expect(parseReadReply([])).toEqual([]);
  });

  it('turns Buffer ids, field names and values into strings', () => {
    const raw = [[Buffer.from('k'), [[Buffer.from('4-0'), [Buffer.from('envelope'), Buffer.from('{"x":"é"}')]]]]];
    expect(parseReadReply(raw)).toEqual([{ id: '4-0', fields: ['envelope', '{"x":"é"}'] }]);
  });

  it('skips entries deleted while pending (null fields)', () => {
    const raw = [['p:cmds:arith', [['5-0', null], ['5-1', request]]]];
    expect(parseReadReply(raw)).toEqual([{ id: '5-1', fields: request }]);
  });

  it('reads fields given as a map-like object or a Map', () => {
    expect(parseEntries([['6-0', { envelope: '{}', type: 'rpc' }]])).toEqual([{ id: '6-0', fields: ['envelope', '{}', 'type', 'rpc'] }]);
    expect(parseEntries([['6-1', new Map([['envelope', '{}']])]])).toEqual([{ id: '6-1', fields: ['envelope', '{}'] }]);
  });

  it('ignores malformed items instead of throwing', () => {
    expect(parseEntries('nope')).toEqual([]);
    expect(parseEntries(['6-0', 42, null])).toEqual([]);
    expect(parseReadReply([null, 'x', ['k', [['7-0', notification]]]])).toEqual([{ id: '7-0', fields: notification }]);
  });
});

describe('parseAutoClaimReply', () => {
  it('reads Redis 7 replies, with the ids of entries deleted from the stream', () => {
    const raw = ['0-0', [['1-0', request], ['1-2', notification]], ['1-1', '1-3']];
    expect(parseAutoClaimReply(raw)).toEqual({
      cursor: '0-0',
      entries: [
        { id: '1-0', fields: request },
        { id: '1-2', fields: notification },
      ],
      deletedIds: ['1-1', '1-3'],
    });
  });

  it('reads Redis 6 replies, where deleted entries come with null fields', () => {
    const raw = ['9-0', [['1-0', request], ['1-1', null], ['1-2', notification]]];
    expect(parseAutoClaimReply(raw)).toEqual({
      cursor: '9-0',
      entries: [
        { id: '1-0', fields: request },
        { id: '1-2', fields: notification },
      ],
      deletedIds: ['1-1'],
    });
  });

  it('reads a reply that claimed nothing', () => {
    expect(parseAutoClaimReply(['0-0', [], []])).toEqual({ cursor: '0-0', entries: [], deletedIds: [] });
    expect(parseAutoClaimReply(['0-0', []])).toEqual({ cursor: '0-0', entries: [], deletedIds: [] });
  });

  it('turns Buffers into strings', () => {
    const raw = [Buffer.from('3-0'), [[Buffer.from('2-0'), [Buffer.from('envelope'), Buffer.from('{}')]]], [Buffer.from('2-1')]];
    expect(parseAutoClaimReply(raw)).toEqual({
      cursor: '3-0',
      entries: [{ id: '2-0', fields: ['envelope', '{}'] }],
      deletedIds: ['2-1'],
    });
  });

  it('answers an empty scan, cursor 0-0, for a reply that is not an array', () => {
    expect(parseAutoClaimReply(null)).toEqual({ cursor: '0-0', entries: [], deletedIds: [] });
  });
});

describe('parsePendingReply', () => {
  it('reads [id, consumer, idle, deliveries] rows', () => {
    const raw = [
      ['1-0', 'arith:server-a', 61_000, 1],
      ['1-1', 'arith:server-b', 5, 12],
    ];
    expect(parsePendingReply(raw)).toEqual([
      { id: '1-0', consumer: 'arith:server-a', idleMs: 61_000, deliveryCount: 1 },
      { id: '1-1', consumer: 'arith:server-b', idleMs: 5, deliveryCount: 12 },
    ]);
  });

  it('reads numbers given as strings and Buffers as strings', () => {
    expect(parsePendingReply([[Buffer.from('2-0'), Buffer.from('arith:x'), '250', '3']])).toEqual([
      { id: '2-0', consumer: 'arith:x', idleMs: 250, deliveryCount: 3 },
    ]);
  });

  it('skips rows that are too short and answers [] for anything but an array', () => {
    expect(parsePendingReply([['1-0', 'c', 1], 'x', ['1-1', 'c', 2, 4]])).toEqual([
      { id: '1-1', consumer: 'c', idleMs: 2, deliveryCount: 4 },
    ]);
    expect(parsePendingReply(null)).toEqual([]);
    expect(parsePendingReply([])).toEqual([]);
  });
});

describe('fieldValue', () => {
  it('finds fields by name in the order peers write them', () => {
    expect(fieldValue(request, 'type')).toBe('rpc');
    expect(fieldValue(request, 'envelope')).toBe(request[3]);
    expect(fieldValue(request, 'reply-to')).toBe('p:replies:c1');
  });

  it('finds fields by name in any order', () => {
    const shuffled = ['reply-to', 'p:replies:c1', 'envelope', '{"id":1}', 'type', 'rpc'];
    expect(fieldValue(shuffled, 'envelope')).toBe('{"id":1}');
    expect(fieldValue(shuffled, 'reply-to')).toBe('p:replies:c1');
    expect(fieldValue(shuffled, 'type')).toBe('rpc');
  });

  it('works without a type field', () => {
    const fields = ['envelope', '{"id":1}', 'reply-to', 'p:replies:c1'];
    expect(fieldValue(fields, 'type')).toBeUndefined();
    expect(fieldValue(fields, 'envelope')).toBe('{"id":1}');
    expect(fieldValue(fields, 'reply-to')).toBe('p:replies:c1');
  });

  it('skips unknown extra fields', () => {
    const fields = ['trace-id', 'abc', 'type', 'rpc', 'x-meta', '{}', 'envelope', '{"id":2}', 'baggage', 'k=v'];
    expect(fieldValue(fields, 'envelope')).toBe('{"id":2}');
    expect(fieldValue(fields, 'reply-to')).toBeUndefined();
  });

  it('never takes a value for a field name', () => {
    // "envelope" appears as the value of "type" first; only the field named "envelope" counts.
    const fields = ['type', 'envelope', 'envelope', '{"id":3}'];
    expect(fieldValue(fields, 'envelope')).toBe('{"id":3}');
    expect(fieldValue(['x', 'reply-to'], 'reply-to')).toBeUndefined();
  });

  it('ignores a trailing name without a value', () => {
    expect(fieldValue(['type', 'rpc', 'envelope'], 'envelope')).toBeUndefined();
    expect(fieldValue([], 'envelope')).toBeUndefined();
  });

  it('takes the first of repeated fields', () => {
    expect(fieldValue(['envelope', 'first', 'envelope', 'second'], 'envelope')).toBe('first');
  });
});

describe('rawFieldValue', () => {
  const b = (text: string) => Buffer.from(text, 'latin1');

  it('finds the first field of that name of the entry, as raw bytes', () => {
    const value = Buffer.from([0x70, 0xff, 0xfe]);
    expect(rawFieldValue([[b('1-1'), [b('type'), b('rpc'), b('reply-to'), value, b('reply-to'), b('second')]]], 'reply-to')).toEqual(value);
  });

  it('answers undefined when the entry or the field is gone', () => {
    expect(rawFieldValue([], 'reply-to')).toBeUndefined();
    expect(rawFieldValue([[b('1-1'), null]], 'reply-to')).toBeUndefined();
    expect(rawFieldValue([[b('1-1'), [b('type'), b('rpc')]]], 'reply-to')).toBeUndefined();
    expect(rawFieldValue(null, 'reply-to')).toBeUndefined();
  });
});

describe('parseGroupsInfo', () => {
  const resp2 = ['name', 'orders', 'consumers', 1, 'pending', 3, 'last-delivered-id', '5-0', 'entries-read', 5, 'lag', 2];

  it("reads RESP2's flat records, with the lag (Redis 7)", () => {
    expect(parseGroupsInfo([resp2])).toEqual([{ name: 'orders', pending: 3, lastDeliveredId: '5-0', lag: 2 }]);
  });

  it("reads RESP3's maps and objects", () => {
    const record = new Map<string, unknown>([['name', 'subscription:billing'], ['pending', 0], ['last-delivered-id', '7-1'], ['lag', 0]]);
    expect(parseGroupsInfo([record, { name: 'orders', pending: 1, 'last-delivered-id': '1-0', lag: 4 }])).toEqual([
      { name: 'subscription:billing', pending: 0, lastDeliveredId: '7-1', lag: 0 },
      { name: 'orders', pending: 1, lastDeliveredId: '1-0', lag: 4 },
    ]);
  });

  it('gives a lag Redis cannot tell (nil) or does not report (before 7.0) as null, never 0', () => {
    expect(parseGroupsInfo([[...resp2.slice(0, -2), 'lag', null]])[0].lag).toBeNull();
    expect(parseGroupsInfo([resp2.slice(0, -4)])[0].lag).toBeNull();
  });
});
