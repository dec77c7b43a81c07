import { ClamatorClient, ClamatorServer, ClamatorStreamsService } from '../../../lib/index.js';
import {
  type ClamatorHealthCheckOptions,
  DEFAULT_HEALTH_TIMEOUT_MS,
  resolveHealthCheckOptions,
} from '../../../lib/health/clamator-health.options.js';
import { optionError } from '../options/option-error.js';

const OWNER = 'ClamatorHealthIndicator';
// Nothing here connects: clients, servers and streams services open connections on first use only.
const redisUrl = 'redis://127.0.0.1:1';
const client = new ClamatorClient({ keyPrefix: 'health', redisUrl });
const server = new ClamatorServer({ keyPrefix: 'health', redisUrl });
const streams = new ClamatorStreamsService({ keyPrefix: 'health', redisUrl });

const resolve = (options: unknown) => () => resolveHealthCheckOptions(options as ClamatorHealthCheckOptions);

describe('health check options', () => {
  it('tags each kind of connection and applies the defaults', () => {
    expect(resolveHealthCheckOptions({ connection: client })).toEqual({
      target: { kind: 'client', client }, timeoutMs: 1000, maxPending: undefined, maxLag: undefined,
    });
    expect(resolveHealthCheckOptions({ connection: server, maxPending: 0, maxLag: 5, timeoutMs: 250 })).toEqual({
      target: { kind: 'server', server }, timeoutMs: 250, maxPending: 0, maxLag: 5,
    });
    expect(resolveHealthCheckOptions({ connection: streams }).target).toEqual({ kind: 'streams', streams });
    expect(DEFAULT_HEALTH_TIMEOUT_MS).toBe(1000);
  });

  it('refuses anything else as the connection', () => {
    expect(optionError(resolve({ connection: {} }), 'connection', OWNER).message).toContain(
      'must be a ClamatorClient, a ClamatorServer or a ClamatorStreamsService',
    );
    optionError(resolve({}), 'connection', OWNER);
    optionError(resolve(undefined), 'options', OWNER);
  });

  it.each([
    ['timeoutMs', 0],
    ['timeoutMs', 1.5],
    ['timeoutMs', '1000'],
    ['maxPending', -1],
    ['maxLag', 0.5],
  ])('refuses %s: %p', (option, value) => {
    optionError(resolve({ connection: server, [option]: value }), option, OWNER);
  });

  it('refuses an unknown option, naming the one meant', () => {
    expect(optionError(resolve({ connection: server, maxPendng: 3 }), 'maxPendng', OWNER).message).toContain('did you mean "maxPending"?');
  });

  it.each([
    ['maxPending', client, 'ClamatorClient'],
    ['maxLag', streams, 'ClamatorStreamsService'],
  ] as const)('refuses %s for a %#: it applies to servers only', (option, connection, kind) => {
    const error = optionError(resolve({ connection, [option]: 1 }), option, OWNER);
    expect(error.message).toContain(`applies to a ClamatorServer`);
    expect(error.message).toContain(kind);
  });
});
