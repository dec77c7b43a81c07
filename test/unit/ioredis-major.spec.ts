import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// CLAMATOR_IOREDIS=5 makes jest.config.js map `ioredis` to ioredis 5 (installed as `ioredis5`).
// This checks that the copy the library and the tests load is of the requested major, so that the
// ioredis 5 run cannot quietly run on ioredis 6.

function resolvedIoredisVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('ioredis')));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ioredis' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) throw new Error('no ioredis package.json found');
    dir = dirname(dir);
  }
}

describe('ioredis major under test', () => {
  const requested = Number(process.env.CLAMATOR_IOREDIS || 6);

  it(`resolves ioredis to the major CLAMATOR_IOREDIS asks for (${requested})`, () => {
    expect(Number(resolvedIoredisVersion().split('.')[0])).toBe(requested);
  });
});
