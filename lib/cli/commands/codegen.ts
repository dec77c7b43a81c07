import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ClamatorContract } from '../../contracts/contract.js';
import { generateJsonSchemas, generatePython, type GeneratedFile, type GenerateOptions } from '../../codegen/generate.js';
import { loadContracts } from '../../codegen/load/load-contracts.js';
import type { CodegenArguments } from '../argv.js';
import { ExitCode } from '../exit-codes.js';
import type { CliOutput } from '../output.js';

/** What `codegen` reports (and prints as is with `--json`). */
export interface CodegenReport {
  readonly contracts: { readonly service: string; readonly source: string }[];
  /** The files written, relative to the working directory. */
  readonly files: string[];
}

function display(path: string): string {
  return relative(process.cwd(), path).split(sep).join('/');
}

async function writeAll(dir: string, files: readonly GeneratedFile[], written: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const path = join(dir, file.path);
    await writeFile(path, file.contents);
    written.push(display(path));
  }
}

/**
 * `codegen`: loads the contracts (TypeScript or JavaScript), then writes `<service>.py` to
 * `--out-py` and the JSON Schemas to `--out-json-schema`. Everything is generated before the first
 * file is written, so a contract that cannot be mapped leaves the output folders as they were.
 */
export async function runCodegen(args: CodegenArguments, output: CliOutput): Promise<ExitCode> {
  const loaded = await loadContracts(args.contracts);
  const sources = new Map<ClamatorContract, string>(loaded.map((l) => [l.contract, l.source]));
  const options: GenerateOptions = { sourceOf: (contract) => sources.get(contract), nearFiles: loaded.map((l) => l.file) };
  const contracts = loaded.map((l) => l.contract);
  const python = args.outPy === undefined ? [] : await generatePython(contracts, options);
  const schemas = args.outJsonSchema === undefined ? [] : await generateJsonSchemas(contracts, options);

  const files: string[] = [];
  if (args.outPy !== undefined) await writeAll(args.outPy, python, files);
  if (args.outJsonSchema !== undefined) await writeAll(args.outJsonSchema, schemas, files);
  const report: CodegenReport = { contracts: loaded.map((l) => ({ service: l.contract.service, source: l.source })), files };
  if (args.json) output.json(report);
  else {
    const services = report.contracts.map((c) => `${c.service} (${c.source})`).join(', ');
    output.print([`Generated from ${report.contracts.length} contract(s): ${services}`, ...files.map((f) => `  wrote ${f}`)].join('\n'));
  }
  return ExitCode.ok;
}
