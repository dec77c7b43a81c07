// `npm run demo:codegen [-- MODULE] [-- --out DIR]`: the Python module clamator-over-redis
// imports for the contracts a module exports (default: sample/arith/arith.contract.ts), printed,
// or written with their JSON Schemas under DIR. The demo calls `showGeneratedPython(contract)`
// to show the same for the contract it runs.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import 'reflect-metadata';
import { assertContract, type ClamatorContract, generateJsonSchemas, generatePython } from '../../lib/index.js';

const DEFAULT_MODULE = 'sample/arith/arith.contract.ts';

/** The Python module generated for `contract`, its header naming `source` (a path relative to the repository). */
export async function generatedPython(contract: ClamatorContract, source?: string): Promise<string> {
  const [file] = await generatePython(contract, { sourceOf: () => source });
  return file.contents;
}

/**
 * Prints the generated Python for `contract` (its first `maxLines` lines, then how many were left
 * out): what a Python service or client imports to talk to the NestJS one.
 */
export async function showGeneratedPython(contract: ClamatorContract, options: { source?: string; maxLines?: number; print?: (text: string) => void } = {}): Promise<string> {
  const python = await generatedPython(contract, options.source);
  const lines = python.trimEnd().split('\n');
  const maxLines = options.maxLines ?? lines.length;
  const shown = lines.slice(0, maxLines).join('\n');
  const more = lines.length > maxLines ? `\n# ... ${lines.length - maxLines} more lines` : '';
  (options.print ?? ((text: string) => process.stdout.write(`${text}\n`)))(`${shown}${more}`);
  return python;
}

function isContract(value: unknown): value is ClamatorContract {
  try {
    assertContract(value);
    return true;
  } catch {
    return false;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const outDir = outIndex >= 0 ? argv[outIndex + 1] : undefined;
  const modulePath = argv.find((arg, i) => !arg.startsWith('--') && (outIndex < 0 || i !== outIndex + 1)) ?? DEFAULT_MODULE;
  if (!existsSync(modulePath)) throw new Error(`${modulePath} does not exist: pass a module that exports a contract (npm run demo:codegen -- path/to/x.contract.ts).`);
  const exports = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
  const contracts = [...new Set(Object.values(exports).filter(isContract))];
  if (contracts.length === 0) throw new Error(`${modulePath} exports no contract (an object { service, methods } from defineContract).`);
  const source = relative(process.cwd(), resolve(modulePath)).split('\\').join('/');
  if (outDir === undefined) {
    for (const contract of contracts) await showGeneratedPython(contract, { source });
    return;
  }
  await mkdir(outDir, { recursive: true });
  const files = [...(await generatePython(contracts, { sourceOf: () => source })), ...(await generateJsonSchemas(contracts, { sourceOf: () => source }))];
  for (const file of files) await writeFile(join(outDir, file.path), file.contents);
  process.stdout.write(`${files.map((file) => `wrote ${join(outDir, file.path)}`).join('\n')}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
