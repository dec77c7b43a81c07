import { assertContract, type ClamatorContract, type ContractSchema, isNotificationEntry, isZodSchema } from '../../contracts/contract.js';
import { ClamatorCodegenError, type ContractModel, type MethodModel, type ObjectModel } from '../model.js';
import { ClassReader, type ValidatorMetadataSource } from './class-reader.js';
import { transformerTypeHint } from './transformer-types.js';
import { ZodReader } from './zod-reader.js';

/** How `readContracts` finds what it needs besides the contracts. */
export interface ReadContractsOptions {
  /**
   * Names the source of each contract in the generated files' header (a relative path, so that
   * the output does not depend on where it is generated). Default: no source named.
   */
  readonly sourceOf?: (contract: ClamatorContract) => string | undefined;
  /** Files whose own copy of class-transformer may hold `@Type` metadata (the CLI passes the contract files). Default: none. */
  readonly nearFiles?: readonly string[];
}

/** `add` → `Add`: the prefix of the method's model names, as clamator's generator makes it. */
export function modelPrefix(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

async function validatorStorage(): Promise<ValidatorMetadataSource> {
  try {
    const validator = (await import('class-validator')) as { getMetadataStorage?: () => unknown; default?: { getMetadataStorage?: () => unknown } };
    const get = validator.getMetadataStorage ?? validator.default?.getMetadataStorage;
    if (typeof get !== 'function') throw new Error('class-validator has no getMetadataStorage()');
    return get() as ValidatorMetadataSource;
  } catch (error) {
    throw new ClamatorCodegenError(
      `Contracts with classes need class-validator installed to read their decorators (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
}

/**
 * Checks and reads contracts into the generator's model, in the order given, methods in their
 * declaration order. Fails on two contracts for one service, and on anything the emitters cannot
 * express, naming the service, method and field.
 */
export async function readContracts(contracts: readonly ClamatorContract[], options: ReadContractsOptions = {}): Promise<ContractModel[]> {
  const seen = new Map<string, string>();
  for (const contract of contracts) {
    assertContract(contract);
    const where = options.sourceOf?.(contract) ?? 'the contracts given';
    const earlier = seen.get(contract.service);
    if (earlier !== undefined) {
      throw new ClamatorCodegenError(`Two contracts for service "${contract.service}" (in ${earlier} and ${where}); each service generates one file.`);
    }
    seen.set(contract.service, where);
  }
  const usesClasses = contracts.some((c) => Object.values(c.methods).some((e) => !isZodSchema(e.params) || (e.result !== undefined && !isZodSchema(e.result))));
  const classes = usesClasses ? new ClassReader(await validatorStorage(), await transformerTypeHint(options.nearFiles)) : undefined;
  const zod = new ZodReader();

  const readSchema = (schema: ContractSchema, name: string, where: string): ObjectModel => {
    if (isZodSchema(schema)) return zod.read(schema, name, where);
    // A class read for two roles is the same object: the emitters name each role's model themselves.
    return classes!.read(schema, where);
  };

  return contracts.map((contract) => {
    const methods: MethodModel[] = Object.entries(contract.methods).map(([name, entry]) => {
      const where = `Contract "${contract.service}", method "${name}"`;
      const prefix = modelPrefix(name);
      const params = readSchema(entry.params, `${prefix}Params`, where);
      if (isNotificationEntry(entry)) return { name, params };
      return { name, params, result: readSchema(entry.result, `${prefix}Result`, where) };
    });
    const source = options.sourceOf?.(contract);
    return source === undefined ? { service: contract.service, methods } : { service: contract.service, methods, source };
  });
}
