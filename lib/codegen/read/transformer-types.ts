import { createRequire } from 'node:module';
import type { TypeHint } from './class-reader.js';

/** The part of class-transformer's metadata storage read here. */
interface TransformerStorage {
  findTypeMetadata(target: Function, propertyName: string): { typeFunction: (options?: unknown) => unknown } | undefined;
}

/**
 * class-transformer's `@Type` metadata lives in a module-level storage, one per copy of the
 * package (unlike class-validator's, which is process-wide). Node loads its CommonJS build for
 * `import` and `require` alike, so the copy that matters is `cjs/storage.js` of the package the
 * contract's own file resolves.
 */
const STORAGE_PATH = 'class-transformer/cjs/storage.js';

function storageOf(module: unknown): TransformerStorage | undefined {
  const exports = module as { defaultMetadataStorage?: TransformerStorage; default?: { defaultMetadataStorage?: TransformerStorage } };
  return exports.defaultMetadataStorage ?? exports.default?.defaultMetadataStorage;
}

/** The storage of the class-transformer copy this library resolves; none when it is not installed. */
async function ownStorage(): Promise<TransformerStorage | undefined> {
  try {
    return storageOf(await import(STORAGE_PATH as string));
  } catch {
    return undefined;
  }
}

/** The storage of the copy that `file` resolves (a contract in another project may have its own). */
function storageNear(file: string): TransformerStorage | undefined {
  try {
    return storageOf(createRequire(file)(STORAGE_PATH));
  } catch {
    return undefined;
  }
}

/**
 * A `TypeHint` that asks every reachable copy of class-transformer for a property's `@Type`:
 * this library's, and those resolved from `nearFiles` (the contract files loaded).
 */
export async function transformerTypeHint(nearFiles: readonly string[] = []): Promise<TypeHint> {
  const storages = new Set<TransformerStorage>();
  const own = await ownStorage();
  if (own) storages.add(own);
  for (const file of nearFiles) {
    const near = storageNear(file);
    if (near) storages.add(near);
  }
  return (target, propertyName) => {
    for (const storage of storages) {
      const metadata = storage.findTypeMetadata(target, propertyName);
      if (metadata) {
        const type = metadata.typeFunction({ newObject: {}, object: {}, property: propertyName });
        if (typeof type === 'function') return type;
      }
    }
    return undefined;
  };
}
