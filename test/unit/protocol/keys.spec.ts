import { ClamatorKeys } from '../../../lib/protocol/keys.js';

describe('ClamatorKeys', () => {
  it('derives the wire key names from the prefix', () => {
    const keys = new ClamatorKeys('myapp');
    expect(keys.keyPrefix).toBe('myapp');
    expect(keys.commandStream('arith')).toBe('myapp:cmds:arith');
    expect(keys.replyStream('3f1c0e5a-1111-4222-8333-444455556666')).toBe('myapp:replies:3f1c0e5a-1111-4222-8333-444455556666');
    expect(keys.deadLetterStream('arith')).toBe('myapp:dead:arith');
  });

  it('names the group after the service and the consumer <service>:<instanceId>', () => {
    const keys = new ClamatorKeys('myapp');
    expect(keys.group('arith')).toBe('arith');
    expect(keys.consumer('arith', 'abc-123')).toBe('arith:abc-123');
  });

  it('uses the prefix literally, whatever characters it holds', () => {
    for (const prefix of ['a:b', '{app}', 'my app', 'x.*+?', 'ü', '']) {
      const keys = new ClamatorKeys(prefix);
      expect(keys.commandStream('svc')).toBe(`${prefix}:cmds:svc`);
      expect(keys.replyStream('id')).toBe(`${prefix}:replies:id`);
    }
  });

  describe('isReplyStream', () => {
    it('accepts <prefix>:replies:<something>', () => {
      const keys = new ClamatorKeys('myapp');
      expect(keys.isReplyStream('myapp:replies:abc')).toBe(true);
      expect(keys.isReplyStream('myapp:replies:x')).toBe(true);
      expect(keys.isReplyStream('myapp:replies:a:b:c')).toBe(true);
      expect(keys.isReplyStream(keys.replyStream('3f1c0e5a-1111-4222-8333-444455556666'))).toBe(true);
    });

    it('rejects the bare reply prefix with nothing after it', () => {
      const keys = new ClamatorKeys('myapp');
      expect(keys.isReplyStream('myapp:replies:')).toBe(false);
      expect(keys.isReplyStream('myapp:replies')).toBe(false);
    });

    it('rejects keys outside <prefix>:replies:', () => {
      const keys = new ClamatorKeys('myapp');
      const outside = [
        '',
        'myapp',
        'myapp:cmds:arith',
        'myapp:dead:arith',
        'myapp:replie:abc',
        'myapp:Replies:abc',
        'other:replies:abc',
        'myapp2:replies:abc',
        'xmyapp:replies:abc',
        'other:myapp:replies:abc',
        ' myapp:replies:abc',
        'session:42',
      ];
      for (const key of outside) expect({ key, ok: keys.isReplyStream(key) }).toEqual({ key, ok: false });
    });

    it('never parses the prefix: a prefix containing ":" is matched as a whole', () => {
      const keys = new ClamatorKeys('a:b');
      expect(keys.isReplyStream('a:b:replies:x')).toBe(true);
      expect(keys.isReplyStream('a:replies:x')).toBe(false);
      expect(keys.isReplyStream('b:replies:x')).toBe(false);
      expect(keys.isReplyStream('a:b:c:replies:x')).toBe(false);
      expect(new ClamatorKeys('a').isReplyStream('a:b:replies:x')).toBe(false);
    });

    it('never parses the prefix: a prefix ending in ":replies" is matched as a whole', () => {
      const keys = new ClamatorKeys('app:replies');
      expect(keys.isReplyStream('app:replies:replies:x')).toBe(true);
      expect(keys.isReplyStream('app:replies:x')).toBe(false);
    });

    it('never parses the prefix: hash tags, spaces and regex characters are literal', () => {
      const tagged = new ClamatorKeys('{app}');
      expect(tagged.isReplyStream('{app}:replies:x')).toBe(true);
      expect(tagged.isReplyStream('app:replies:x')).toBe(false);
      expect(tagged.isReplyStream('{other}:replies:x')).toBe(false);

      const spaced = new ClamatorKeys('my app');
      expect(spaced.isReplyStream('my app:replies:x')).toBe(true);
      expect(spaced.isReplyStream('myapp:replies:x')).toBe(false);
      expect(spaced.isReplyStream('my  app:replies:x')).toBe(false);

      const regexy = new ClamatorKeys('.*');
      expect(regexy.isReplyStream('.*:replies:x')).toBe(true);
      expect(regexy.isReplyStream('anything:replies:x')).toBe(false);
    });
  });
});
