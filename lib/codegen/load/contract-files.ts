import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ClamatorCodegenError } from '../model.js';

/** The module files a contracts folder is searched for. */
const MODULE_FILE = /\.(ts|mts|js|mjs|cjs)$/;
/** Declarations, tests and source maps are not contracts. */
const SKIPPED_FILE = /(\.d\.(m|c)?ts|\.(spec|test)\.(m|c)?[jt]s)$/;

async function walk(dir: string, found: string[]): Promise<void> {
  // Sorted, so that the files and the contracts in them come in the same order on every machine.
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, found);
    else if (entry.isFile() && MODULE_FILE.test(entry.name) && !SKIPPED_FILE.test(entry.name)) found.push(path);
  }
}

/**
 * The module files `--contracts` names: the file itself, or every `.ts`, `.mts`, `.js`, `.mjs`
 * and `.cjs` file under the folder (declarations, `*.spec.*`, `*.test.*`, dot folders and
 * node_modules left out), in name order. Absolute paths.
 */
export async function contractFiles(fileOrFolder: string): Promise<string[]> {
  const path = resolve(fileOrFolder);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ClamatorCodegenError(`--contracts ${fileOrFolder}: no such file or folder.`);
  }
  if (info.isFile()) return [path];
  const found: string[] = [];
  await walk(path, found);
  if (found.length === 0) throw new ClamatorCodegenError(`--contracts ${fileOrFolder}: the folder holds no .ts, .mts, .js, .mjs or .cjs file.`);
  return found;
}
