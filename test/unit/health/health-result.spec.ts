import {
  type ClamatorGroupHealth,
  describeFailures,
  groupFailure,
  groupLabel,
  healthDetails,
  judgeGroups,
  roundMs,
} from '../../../lib/health/clamator-health.result.js';

const group = (pending: number, lag: number | null): ClamatorGroupHealth => ({ service: 'orders', group: 'orders', pending, lag });

describe('health results', () => {
  it("keys a service's own group by the service and a subscription's by service/group", () => {
    expect(groupLabel('orders', 'orders')).toBe('orders');
    expect(groupLabel('orders', 'subscription:billing')).toBe('orders/subscription:billing');
  });

  it('fails a group over maxPending or maxLag, saying by how much, and never at the threshold', () => {
    expect(groupFailure(group(1234, 0), { maxPending: 1000, maxLag: undefined })).toBe('pending 1234 > maxPending 1000');
    expect(groupFailure(group(1000, 0), { maxPending: 1000, maxLag: undefined })).toBeUndefined();
    expect(groupFailure(group(0, 7), { maxPending: undefined, maxLag: 5 })).toBe('lag 7 > maxLag 5');
    expect(groupFailure(group(3, 7), { maxPending: 2, maxLag: 5 })).toBe('pending 3 > maxPending 2, lag 7 > maxLag 5');
  });

  it('checks nothing without thresholds', () => {
    expect(groupFailure(group(1_000_000, 1_000_000), { maxPending: undefined, maxLag: undefined })).toBeUndefined();
  });

  it('never fails a group on a lag Redis could not tell', () => {
    expect(groupFailure(group(0, null), { maxPending: undefined, maxLag: 0 })).toBeUndefined();
  });

  describe('judgeGroups', () => {
    const served = [
      { service: 'orders', group: 'orders' },
      { service: 'orders', group: 'subscription:billing' },
      { service: 'stock', group: 'stock' },
    ];
    const info = (name: string, pending: number, lag: number | null) => ({ name, pending, lag, lastDeliveredId: '1-0' });

    it('reports every group under its key and fails those over a threshold', () => {
      const failures: Record<string, string> = {};
      const states = new Map([
        ['orders', [info('orders', 5, 0), info('subscription:billing', 0, 12), info('other', 99, 99)]],
        ['stock', [info('stock', 0, null)]],
      ]);
      expect(judgeGroups(served, states, { maxPending: 2, maxLag: 10 }, failures)).toEqual({
        orders: { service: 'orders', group: 'orders', pending: 5, lag: 0 },
        'orders/subscription:billing': { service: 'orders', group: 'subscription:billing', pending: 0, lag: 12 },
        stock: { service: 'stock', group: 'stock', pending: 0, lag: null },
      });
      expect(failures).toEqual({ orders: 'pending 5 > maxPending 2', 'orders/subscription:billing': 'lag 12 > maxLag 10' });
    });

    it('reports a missing group (Redis restarted empty) without failing it, and a failed read as a failure of its service', () => {
      const failures: Record<string, string> = {};
      const states = new Map<string, ReturnType<typeof info>[] | Error>([
        ['orders', []],
        ['stock', new Error('WRONGTYPE Operation against a key holding the wrong kind of value')],
      ]);
      expect(judgeGroups(served, states, { maxPending: 0, maxLag: 0 }, failures)).toEqual({
        orders: { service: 'orders', group: 'orders', pending: 0, lag: null, missing: true },
        'orders/subscription:billing': { service: 'orders', group: 'subscription:billing', pending: 0, lag: null, missing: true },
      });
      expect(failures).toEqual({ stock: 'XINFO GROUPS failed: WRONGTYPE Operation against a key holding the wrong kind of value' });
    });

    it('leaves out the services Redis did not answer for in time', () => {
      const failures: Record<string, string> = {};
      expect(judgeGroups(served, new Map([['stock', [info('stock', 1, 1)]]]), { maxPending: 0, maxLag: undefined }, failures)).toEqual({
        stock: { service: 'stock', group: 'stock', pending: 1, lag: 1 },
      });
      expect(failures).toEqual({ stock: 'pending 1 > maxPending 0' });
    });
  });

  it('is up without failures and down with them, with the failures in one line', () => {
    const found = { connection: 'server', connected: true, state: 'ready', pingMs: 0.4 } as const;
    expect(healthDetails(found, {})).toEqual({ status: 'up', ...found });
    const failures = { redis: 'timeout after 1000 ms', orders: 'pending 3 > maxPending 2' };
    expect(healthDetails(found, failures)).toEqual({
      status: 'down',
      ...found,
      failures,
      message: 'redis: timeout after 1000 ms; orders: pending 3 > maxPending 2',
    });
    expect(describeFailures({})).toBe('');
  });

  it('keeps a note on an up result (an idle client)', () => {
    expect(healthDetails({ connection: 'client', connected: false, state: 'idle' }, {}, 'idle')).toEqual({
      status: 'up', connection: 'client', connected: false, state: 'idle', message: 'idle',
    });
  });

  it('rounds PING times to a tenth of a millisecond', () => {
    expect(roundMs(0.123)).toBe(0.1);
    expect(roundMs(12.06)).toBe(12.1);
  });
});
