import {
  type ClamatorGroupHealth,
  describeFailures,
  groupFailure,
  groupLabel,
  healthDetails,
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
