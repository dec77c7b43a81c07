import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function librarySources(): Promise<Array<{ file: string; text: string }>> {
  const entries = await readdir(join(root, 'lib'), { withFileTypes: true, recursive: true });
  const files = entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (file) => ({ file: file.slice(root.length), text: await readFile(file, 'utf8') })));
}

/**
 * Every static `import … from` / `export … from` / `require()` of `name` (or a subpath of it) in the
 * package's sources, and every `import('name')`. Prose and error messages naming the package are
 * not module specifiers and do not count.
 */
async function importsOf(name: string): Promise<{ statics: string[]; dynamics: string[] }> {
  const spec = `['"]${name.replace('/', '\\/')}(?:/[^'"]*)?['"]`;
  const staticImport = new RegExp(`^\\s*(?:import|export)\\b[^;]*\\bfrom\\s+${spec}|^\\s*import\\s+${spec}|\\brequire\\(\\s*${spec}\\s*\\)`);
  const dynamicImport = new RegExp(`\\bimport\\(\\s*${spec}\\s*\\)`);
  const statics: string[] = [];
  const dynamics: string[] = [];
  for (const { file, text } of await librarySources()) {
    for (const line of text.split('\n')) {
      if (staticImport.test(line)) statics.push(`${file}: ${line.trim()}`);
      if (dynamicImport.test(line)) dynamics.push(`${file}: ${line.trim()}`);
    }
  }
  return { statics, dynamics };
}

describe('optional peers', () => {
  it('zod is imported by no source of the package, not even for types: only the contracts users pass in bring it', async () => {
    expect(await importsOf('zod')).toEqual({ statics: [], dynamics: [] });
  });

  it.each(['class-validator', 'class-transformer', 'typescript', '@opentelemetry/api', '@nestjs/terminus'])(
    '%s is imported statically for types only; at run time only through import() on first use',
    async (name) => {
      const { statics } = await importsOf(name);
      for (const line of statics) expect(line).toMatch(/:\s*import type\b|:\s*export type\b/);
    },
  );

  it('class-validator and class-transformer are loaded with import() where contracts are checked', async () => {
    for (const name of ['class-validator', 'class-transformer']) {
      const { dynamics } = await importsOf(name);
      expect(dynamics.some((line) => line.startsWith('lib/contracts/schema-check.ts: '))).toBe(true);
    }
  });
});
