import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Version of the `@nestjs/core` this process actually resolves (Nest 12 from node_modules, or the Nest 11 copy). */
export function loadedNestVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@nestjs/core')));
  for (let i = 0; i < 6; i += 1) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@nestjs/core') return `${pkg.version} (${dir})`;
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
