// One redis-server for the whole run, unless REDIS_URL names one. Test files share it through
// REDIS_URL and keep apart by unique key prefixes; fault tests start their own.
import { freePort, spawnRedis } from './redis-process.mjs';

export default async function globalSetup() {
  if (process.env.REDIS_URL) return;
  const port = await freePort();
  const { child } = await spawnRedis(port);
  globalThis.__clamatorRedis = child;
  process.env.REDIS_URL = `redis://127.0.0.1:${port}`;
  process.env.CLAMATOR_TEST_REDIS_STARTED = '1';
}
