import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function sourcesOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => join(entry.parentPath, entry.name));
}

describe('@nestjs/terminus is an optional peer', () => {
  it('is imported by no source of the package (not even for types), so neither its code nor its declarations need it', async () => {
    // A module specifier is a quoted string; comments may name the package in prose.
    const specifier = /['"]@nestjs\/terminus(\/[^'"]*)?['"]/;
    const naming: string[] = [];
    for (const file of await sourcesOf(join(root, 'lib'))) {
      if (specifier.test(await readFile(file, 'utf8'))) naming.push(file.slice(root.length));
    }
    expect(naming).toEqual([]);
  });

  it('the package loads and ClamatorHealthIndicator checks where terminus cannot be found', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', './scripts/register-ts.mjs', '--import', './test/unit/health/fixtures/hide-terminus.mjs', 'test/unit/health/fixtures/without-terminus.main.ts'],
      { cwd: root, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      terminus: 'missing',
      result: { clamator: expect.objectContaining({ status: 'up', connection: 'client', connected: false }) },
    });
  }, 40_000);
});
