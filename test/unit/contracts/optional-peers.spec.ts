import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function librarySources(): Promise<Array<{ file: string; text: string }>> {
  const entries = await readdir(join(root, 'lib'), { withFileTypes: true, recursive: true });
  const files = entries.filter((entry) => entry.isFile() && entry.name.endsWith('.ts')).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (file) => ({ file: file.slice(root.length), text: await readFile(file, 'utf8') })));
}

/** Every line of the package's sources naming `name` as a module specifier (comments may name it in prose). */
async function linesImporting(name: string): Promise<string[]> {
  const specifier = new RegExp(`['"]${name}(/[^'"]*)?['"]`);
  const lines: string[] = [];
  for (const { file, text } of await librarySources()) {
    for (const line of text.split('\n')) if (specifier.test(line)) lines.push(`${file}: ${line.trim()}`);
  }
  return lines;
}

describe('optional peers of contracts', () => {
  it('zod is imported by no source of the package, not even for types: only the contracts users pass in bring it', async () => {
    expect(await linesImporting('zod')).toEqual([]);
  });

  it.each(['class-validator', 'class-transformer'])('%s is imported for types only, and loaded with import() on first use', async (name) => {
    const lines = await linesImporting(name);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatch(/^lib\/contracts\/schema-check\.ts: /);
      expect(line).toMatch(new RegExp(`import type \\* as \\w+ from '${name}';|import\\('${name}'\\)`));
    }
  });
});
