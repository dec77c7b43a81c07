import type { ClamatorContract } from '../contracts/contract.js';
import { renderJsonSchemas } from './emit/json-schema-emitter.js';
import { renderPythonModule } from './emit/python-emitter.js';
import { readContracts, type ReadContractsOptions } from './read/read-contracts.js';

/** A generated file: its name (relative to the output directory) and its text. */
export interface GeneratedFile {
  /** `arith.py`, `arith.add.params.schema.json`. */
  readonly path: string;
  /** UTF-8 text ending with a newline; byte-identical for the same contracts and options. */
  readonly contents: string;
}

/** Options of `generatePython` and `generateJsonSchemas`. */
export type GenerateOptions = ReadContractsOptions;

function asList(contracts: ClamatorContract | readonly ClamatorContract[]): readonly ClamatorContract[] {
  return Array.isArray(contracts) ? contracts : [contracts as ClamatorContract];
}

/**
 * Generates one Python module per contract (`<service>.py`) in the shape clamator's own generator
 * writes, for clamator-over-redis: pydantic v2 models `<Method>Params` / `<Method>Result` (extra
 * fields forbidden), a `<Service>Client`, an abstract `<Service>Service`, `METHODS` and
 * `<service>_contract`. Contracts may use class-validator classes or zod 4 schemas.
 *
 * @throws ClamatorCodegenError naming the service, method and field that cannot be mapped.
 * @throws ClamatorContractError when an object is not a valid contract.
 */
export async function generatePython(contracts: ClamatorContract | readonly ClamatorContract[], options: GenerateOptions = {}): Promise<GeneratedFile[]> {
  const models = await readContracts(asList(contracts), options);
  return models.map((contract) => ({ path: `${contract.service}.py`, contents: renderPythonModule(contract) }));
}

/**
 * Generates a JSON Schema (2020-12) for each method's params and each request's result
 * (`<service>.<method>.params.schema.json`, `...result.schema.json`), for peers in other
 * languages. Nested classes go to `$defs`; optional fields accept null, as `@IsOptional` does.
 *
 * @throws ClamatorCodegenError naming the service, method and field that cannot be mapped.
 * @throws ClamatorContractError when an object is not a valid contract.
 */
export async function generateJsonSchemas(contracts: ClamatorContract | readonly ClamatorContract[], options: GenerateOptions = {}): Promise<GeneratedFile[]> {
  const models = await readContracts(asList(contracts), options);
  return models.flatMap((contract) =>
    renderJsonSchemas(contract).map((document) => ({ path: document.fileName, contents: `${JSON.stringify(document.schema, null, 2)}\n` })),
  );
}
