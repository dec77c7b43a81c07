// Runs this repository's TypeScript (decorators and all) directly on Node:
//
//   node --import ./scripts/register-ts.mjs sample/demo.ts
//
// Imported with --import, this file registers itself as module customization hooks
// (node:module register). Node then loads it a second time in its hooks thread, where the
// exported `resolve` and `load` hooks do the work:
// - load: compiles `.ts` / `.mts` files outside node_modules with @swc/core the way tsconfig.json
//   and jest do (legacy decorators, decorator metadata for Nest's injection and ValidationPipe,
//   useDefineForClassFields false, ES module output), with inline source maps;
// - resolve: the sources import each other with `.js` suffixes (NodeNext); when such a `.js` file
//   does not exist, the `.ts` file next to it is used instead.
// No type checking happens here: `npm run typecheck` does that.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  // Stack traces point into the .ts sources through the inline source maps.
  process.setSourceMapsEnabled(true);
  register(import.meta.url);
}

/** Relative or absolute file specifiers, the only ones that may name a sibling `.ts`. */
function isPathLike(specifier) {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/') || specifier.startsWith('file:');
}

function isTypeScript(url) {
  if (!url.startsWith('file:')) return false;
  const path = new URL(url).pathname;
  return /\.m?ts$/.test(path) && !path.endsWith('.d.ts') && !path.includes('/node_modules/');
}

// CLAMATOR_NEST=11 runs child processes of the test suite against the Nest 11 copies in
// compat/nest11, as jest's moduleNameMapper does in-process (one copy of Nest, rxjs and reflect-metadata).
const nest11Parent = process.env.CLAMATOR_NEST === '11' ? new URL('../compat/nest11/package.json', import.meta.url).href : null;
const NEST11_MAPPED = /^(@nestjs\/(common|core|microservices|testing|platform-express)|rxjs|reflect-metadata)(\/|$)/;

/** Resolve hook: `./x.js` falls back to `./x.ts` (and `./x.mjs` to `./x.mts`) when the JavaScript file is missing. */
export async function resolve(specifier, context, nextResolve) {
  if (nest11Parent && NEST11_MAPPED.test(specifier)) {
    return nextResolve(specifier, { ...context, parentURL: nest11Parent });
  }
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const match = /\.(m?)js$/.exec(specifier);
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !match || !isPathLike(specifier)) throw error;
    const typescript = `${specifier.slice(0, -match[0].length)}.${match[1]}ts`;
    try {
      return await nextResolve(typescript, context);
    } catch {
      throw error;
    }
  }
}

let swc;

/** Load hook: compiles TypeScript to an ES module; everything else goes to Node's own loader. */
export async function load(url, context, nextLoad) {
  if (!isTypeScript(url)) return nextLoad(url, context);
  swc ??= await import('@swc/core');
  const filename = fileURLToPath(url);
  const source = await readFile(filename, 'utf8');
  const { code } = await swc.transform(source, {
    filename,
    sourceMaps: 'inline',
    swcrc: false,
    configFile: false,
    isModule: true,
    module: { type: 'es6' },
    jsc: {
      target: 'es2022',
      keepClassNames: true,
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
