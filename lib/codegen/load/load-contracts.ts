import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertContract, type ClamatorContract } from '../../contracts/contract.js';
import { ClamatorCodegenError } from '../model.js';
import { contractFiles } from './contract-files.js';
import { registerTypeScriptHooks } from './typescript-hooks.js';

/** A contract and the file it was exported from. */
export interface LoadedContract {
  readonly contract: ClamatorContract;
  /** Absolute path. */
  readonly file: string;
  /** Relative to the working directory, with `/`: what the generated header names. */
  readonly source: string;
}

/**
 * A real dynamic import in both builds: TypeScript's CommonJS output would turn `import()` into
 * `require()`, which cannot load ES modules nor go through the module hooks.
 */
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

/**
 * Recognized by shape rather than by class: the contract module may import its own copy of
 * nestjs-clamator, whose `defineContract` returns a plain `{ service, methods }` object.
 */
function looksLikeContract(value: unknown): value is ClamatorContract {
  if (value === null || typeof value !== 'object') return false;
  const { service, methods } = value as Record<string, unknown>;
  return typeof service === 'string' && methods !== null && typeof methods === 'object';
}

/**
 * Imports the contract modules `--contracts` names (TypeScript through the project's compiler,
 * JavaScript as is) and collects every exported contract, once each (an index file re-exporting
 * them names the same objects), in file order then export order.
 *
 * @throws ClamatorCodegenError when a file fails to load or none exports a contract.
 * @throws ClamatorContractError when an exported `{ service, methods }` object breaks the contract rules.
 */
export async function loadContracts(fileOrFolder: string): Promise<LoadedContract[]> {
  const files = await contractFiles(fileOrFolder);
  // Design-type metadata is only recorded once reflect-metadata has installed Reflect.metadata.
  await importModule('reflect-metadata').catch(() => undefined);
  const seen = new Set<object>();
  const loaded: LoadedContract[] = [];
  for (const file of files) {
    if (/\.m?ts$/.test(file)) registerTypeScriptHooks(file);
    let exports: Record<string, unknown>;
    try {
      exports = await importModule(pathToFileURL(file).href);
    } catch (error) {
      throw new ClamatorCodegenError(`Loading ${file} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const source = relative(process.cwd(), file).split(sep).join('/');
    for (const value of Object.values(exports)) {
      if (!looksLikeContract(value) || seen.has(value)) continue;
      assertContract(value);
      seen.add(value);
      loaded.push({ contract: value, file, source });
    }
  }
  if (loaded.length === 0) {
    throw new ClamatorCodegenError(`--contracts ${fileOrFolder}: no module exports a contract (an object { service, methods }, as defineContract returns).`);
  }
  return loaded;
}
