import type { LoggerService } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { ClamatorKeys } from '../../../lib/protocol/keys.js';
import { EntryProcessor } from '../../../lib/server/entry-processor.js';
import { HandlerRunner } from '../../../lib/server/handler-invocation.js';
import type { RawFieldLookup } from '../../../lib/server/entry-processor.js';
import type { StreamEntry } from '../../../lib/streams/stream-replies.js';

/** A logger that keeps what it was told, by level. */
class RecordingLogger implements LoggerService {
  readonly lines: Array<[level: string, message: string]> = [];
  log(message: string): void {
    this.lines.push(['log', message]);
  }
  warn(message: string): void {
    this.lines.push(['warn', message]);
  }
  error(message: string): void {
    this.lines.push(['error', message]);
  }
}

const keys = new ClamatorKeys('p');
const replyTo = keys.replyStream('client-1');

function handler(fn: (params: unknown) => unknown, isEventHandler = false): MessageHandler {
  return Object.assign(async (params: unknown) => fn(params), { isEventHandler }) as unknown as MessageHandler;
}

function processor(maxEnvelopeBytes = 1024 * 1024, logger: LoggerService = new RecordingLogger(), rawField?: RawFieldLookup): EntryProcessor {
  const handlers = new Map<string, MessageHandler>([
    ['add', handler((params) => (params as { a: number }).a + 1)],
    ['note', handler(() => undefined, true)],
    ['explode', handler(() => { throw new Error('kaboom'); }, true)],
  ]);
  const runner = new HandlerRunner(0, { around: (_context, work) => work() });
  return new EntryProcessor({ service: 'arith', consumer: 'arith:c1', handlers, keys, logger, maxEnvelopeBytes, runner, rawField });
}

let sequence = 0;
function entry(envelope: string, to: string | undefined = replyTo): StreamEntry {
  sequence += 1;
  const fields = ['type', 'rpc', 'envelope', envelope];
  if (to !== undefined) fields.push('reply-to', to);
  return { id: `1-${sequence}`, fields };
}

describe('EntryProcessor', () => {
  describe('integer ids a double cannot hold', () => {
    const bigId = '12345678901234567890';

    it('echoes the id of an oversized envelope exactly, as found at its end', async () => {
      const envelope = `{"jsonrpc":"2.0","method":"arith.add","params":{"pad":"${'x'.repeat(200)}"},"id":${bigId}}`;
      const outcome = await processor(128).process(entry(envelope), 1);
      expect(outcome.envelope).toContain(`"id":${bigId},"error":{"code":-32600`);
    });

    it('sniffs negative and long integer ids of an oversized envelope, but no fraction or exponent', async () => {
      const pad = `"params":{"pad":"${'x'.repeat(200)}"}`;
      const cases: Array<[idText: string, expected: string]> = [
        ['-98765432109876543210', '-98765432109876543210'],
        ['1' + '2'.repeat(30), '1' + '2'.repeat(30)],
        ['42', '42'],
        ['12345678901234567890.5', 'null'],
        ['1e400', 'null'],
      ];
      for (const [idText, expected] of cases) {
        const outcome = await processor(128).process(entry(`{"jsonrpc":"2.0","method":"arith.add",${pad},"id":${idText}}`), 1);
        expect({ idText, envelope: outcome.envelope }).toEqual({ idText, envelope: expect.stringContaining(`"id":${expected},"error"`) });
      }
    });

    it('echoes the id exactly in a result, a -32601 and a -32603 dead-letter reply', async () => {
      const result = await processor().process(entry(`{"jsonrpc":"2.0","method":"arith.add","params":{"a":1},"id":${bigId}}`), 1);
      expect(result.envelope).toBe(`{"jsonrpc":"2.0","id":${bigId},"result":2}`);
      const missing = await processor().process(entry(`{"jsonrpc":"2.0","method":"arith.nope","params":{},"id":-${bigId}}`), 1);
      expect(missing.envelope).toContain(`"id":-${bigId},"error":{"code":-32601`);
      const refused = processor().refuse(entry(`{"jsonrpc":"2.0","method":"arith.add","params":{},"id":${bigId}}`), 'too many deliveries');
      expect(refused.envelope).toBe(
        `{"jsonrpc":"2.0","id":${bigId},"error":{"code":-32603,"message":"Internal error","data":{"reason":"too many deliveries"}}}`,
      );
    });
  });
});

describe('EntryProcessor logs', () => {
  it('one line for a flood of notifications without handler, and one for a flood of failing notifications', async () => {
    const logger = new RecordingLogger();
    const subject = processor(1024 * 1024, logger);
    for (let i = 0; i < 200; i += 1) {
      await subject.process(entry(`{"jsonrpc":"2.0","method":"arith.nobody${i % 3 === 0 ? '' : i}","params":{}}`, undefined), 1);
      await subject.process(entry('{"jsonrpc":"2.0","method":"arith.explode","params":{}}', undefined), 1);
    }
    expect(logger.lines).toEqual([
      ['warn', expect.stringMatching(/^No handler for notification arith\.nobody \(entry 1-\d+\)\. Acknowledged\.$/)],
      ['error', expect.stringMatching(/^Notification arith\.explode \(entry 1-\d+\) failed: Internal error /)],
    ]);
  });
});

describe('EntryProcessor and a reply-to that is not valid UTF-8', () => {
  const request = '{"jsonrpc":"2.0","method":"arith.add","params":{"a":1},"id":"r1"}';
  /** What ioredis makes of `<prefix>:replies:` followed by the bytes ff fe. */
  const decoded = `${keys.replyStream('')}\uFFFD\uFFFD`;
  const invalidBytes = Buffer.concat([Buffer.from(keys.replyStream('')), Buffer.from([0xff, 0xfe])]);

  /** A lookup that answers `bytes` and records what it was asked. */
  function lookup(answer: () => Promise<Buffer | undefined>) {
    const asked: Array<[string, string]> = [];
    const rawField: RawFieldLookup = (entryId, field) => {
      asked.push([entryId, field]);
      return answer();
    };
    return { asked, rawField };
  }

  it('dead-letters the entry, not running it, when the raw bytes differ from the decoded text', async () => {
    const { asked, rawField } = lookup(async () => invalidBytes);
    const item = entry(request, decoded);
    const outcome = await processor(undefined, undefined, rawField).process(item, 1);
    expect(outcome).toEqual({ deadLetterReason: expect.stringMatching(/^reply-to is not valid UTF-8; not run/) });
    expect(asked).toEqual([[item.id, 'reply-to']]);
  });

  it('runs the entry and replies to a reply-to holding a literal U+FFFD', async () => {
    const literal = `${keys.replyStream('caf\uFFFD')}`;
    const { rawField } = lookup(async () => Buffer.from(literal, 'utf8'));
    const outcome = await processor(undefined, undefined, rawField).process(entry(request, literal), 1);
    expect(outcome).toEqual({ replyTo: literal, envelope: '{"jsonrpc":"2.0","id":"r1","result":2}' });
  });

  it('dead-letters when the raw bytes cannot be checked: no lookup, a failing lookup, an entry gone', async () => {
    const cases: Array<[string, RawFieldLookup | undefined]> = [
      ['cannot be checked', undefined],
      ['reading its raw bytes failed: NOPERM', lookup(async () => { throw new Error('NOPERM'); }).rawField],
      ['the entry is gone', lookup(async () => undefined).rawField],
    ];
    for (const [why, rawField] of cases) {
      const outcome = await processor(undefined, undefined, rawField).process(entry(request, decoded), 1);
      expect(outcome).toEqual({ deadLetterReason: expect.stringContaining('UTF-8') });
      expect(outcome.deadLetterReason).toContain(why);
    }
  });

  it('never looks up raw bytes for a reply-to without U+FFFD', async () => {
    const { asked, rawField } = lookup(async () => Buffer.from('unused'));
    const outcome = await processor(undefined, undefined, rawField).process(entry(request, keys.replyStream('caf\u00e9')), 1);
    expect(outcome.envelope).toBe('{"jsonrpc":"2.0","id":"r1","result":2}');
    expect(asked).toEqual([]);
  });

  it('refuse() writes no reply to a reply-to with U+FFFD', () => {
    expect(processor().refuse(entry(request, decoded), 'too many deliveries')).toEqual({});
  });
});
