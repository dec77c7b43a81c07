import { createRequire, register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClamatorCodegenError } from '../model.js';

/**
 * Module hooks, run in Node's hooks thread, that compile the contracts' TypeScript with the
 * project's own `typescript` (`transpileModule`: no type checking) the way Nest projects compile
 * it: legacy decorators and their design-type metadata, which the generator reads, and class
 * fields left undefined. Sources import each other as `./x.js` (NodeNext) or `./x` (CommonJS
 * projects); both reach `./x.ts`. They are registered from a data: URL, so that the same code
 * works from this package's ES module and CommonJS builds.
 */
const HOOKS_SOURCE = `
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
let typescriptUrl;
let ts;
export function initialize(data) { typescriptUrl = data.typescriptUrl; }
const relative = (s) => s.startsWith('./') || s.startsWith('../') || s.startsWith('/') || s.startsWith('file:');
const compiled = (url) => url.startsWith('file:') && /\\.m?ts$/.test(url) && !/\\.d\\.m?ts$/.test(url) && !url.includes('/node_modules/');
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (!relative(specifier) || !['ERR_MODULE_NOT_FOUND', 'ERR_UNSUPPORTED_DIR_IMPORT'].includes(error && error.code)) throw error;
    const stem = specifier.replace(/\\.(m?)js$/, '');
    const candidates = /\\.m?js$/.test(specifier) ? [stem + (specifier.endsWith('.mjs') ? '.mts' : '.ts')] : [specifier + '.ts', specifier + '.js', specifier + '/index.ts', specifier + '/index.js'];
    for (const candidate of candidates) {
      try { return await next(candidate, context); } catch {}
    }
    throw error;
  }
}
export async function load(url, context, next) {
  if (!compiled(url)) return next(url, context);
  ts ??= (await import(typescriptUrl)).default;
  const fileName = fileURLToPath(url);
  const output = ts.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: 'module', source: output.outputText, shortCircuit: true };
}
`;

let registered = false;

/** The project's `typescript` (resolved from the contract file, then from the working directory). */
function resolveTypeScript(nearFile: string): string {
  for (const from of [nearFile, join(process.cwd(), 'package.json')]) {
    try {
      return createRequire(from).resolve('typescript');
    } catch {
      // Next place.
    }
  }
  throw new ClamatorCodegenError(
    `Loading ${nearFile} needs the "typescript" package (an optional peer of nestjs-clamator): install it in the project, or point --contracts at compiled JavaScript.`,
  );
}

/** Registers the hooks once per process, before the first TypeScript contract is imported. */
export function registerTypeScriptHooks(nearFile: string): void {
  if (registered) return;
  const typescriptUrl = pathToFileURL(resolveTypeScript(nearFile)).href;
  register(`data:text/javascript,${encodeURIComponent(HOOKS_SOURCE)}`, { data: { typescriptUrl } });
  registered = true;
}
