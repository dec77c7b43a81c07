// Makes every import of Nest (and of rxjs and reflect-metadata, so that one copy of each is loaded)
// resolve to the Nest 11 copies in compat/nest11/node_modules instead of the Nest 12 ones in
// node_modules. ESM ignores NODE_PATH, so a resolve hook is what works; bench/run.ts adds
// `--import ./bench/nest11/register.mjs` to its child processes when run with `--nest 11`.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const compatRoot = new URL('../../compat/nest11/', import.meta.url);
if (!existsSync(fileURLToPath(new URL('node_modules/@nestjs/core/package.json', compatRoot)))) {
  throw new Error('--nest 11 needs the Nest 11 copies: run `npm ci --prefix compat/nest11` first.');
}
register(new URL('./hooks.mjs', import.meta.url).href, import.meta.url, {
  data: { compatParentUrl: new URL('package.json', compatRoot).href },
});
