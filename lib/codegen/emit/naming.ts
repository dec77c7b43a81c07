import { type ContractModel, type ObjectModel, type ValueType } from '../model.js';
import { modelPrefix } from '../read/read-contracts.js';

/** The generator's name, in every generated file's header. */
export const GENERATOR_NAME = 'nestjs-clamator codegen';

/** One model class to emit, in an order where a class comes after the classes its fields use. */
export interface ModelDeclaration {
  readonly name: string;
  readonly model: ObjectModel;
  /** Set when the model was already emitted under this other name (one class in two roles). */
  readonly sameAs?: string;
}

/** The names of a contract's models, unique within its generated module. */
export interface ContractNaming {
  readonly declarations: readonly ModelDeclaration[];
  /** The name every reference to a model uses. */
  readonly nameOf: ReadonlyMap<ObjectModel, string>;
  readonly paramsName: (method: string) => string;
  readonly resultName: (method: string) => string;
}

/** Names the generated module binds besides the models; a model class must not take them. */
const TAKEN = [
  'annotations', 'ABC', 'abstractmethod', 'ClamatorClient', 'Contract', 'MethodEntry', 'Literal', 'Annotated',
  'BaseModel', 'ConfigDict', 'Field', 'METHODS', 'int', 'float', 'str', 'bool', 'list', 'None', 'True', 'False',
];

/** `arith-v2` → `ArithV2`: the prefix of the client and service classes. */
export function servicePascal(service: string): string {
  return service.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
}

/** The models a type refers to, directly or through lists. */
export function modelsIn(type: ValueType): ObjectModel[] {
  if (type.kind === 'model') return [type.model];
  if (type.kind === 'list') return modelsIn(type.items);
  return [];
}

/**
 * Names a contract's models: each method's `<Method>Params` and `<Method>Result` (clamator's
 * names), nested classes by their own name, suffixed 2, 3... where that is taken. Declarations
 * follow the methods' order, each class after the nested classes it uses.
 */
export function nameContract(contract: ContractModel): ContractNaming {
  const pascal = servicePascal(contract.service);
  const paramsName = (method: string) => `${modelPrefix(method)}Params`;
  const resultName = (method: string) => `${modelPrefix(method)}Result`;
  const used = new Set([...TAKEN, `${pascal}Client`, `${pascal}Service`, `${contract.service.replace(/-/g, '_')}_contract`]);
  for (const method of contract.methods) {
    used.add(paramsName(method.name));
    if (method.result) used.add(resultName(method.name));
  }
  const nameOf = new Map<ObjectModel, string>();
  const declarations: ModelDeclaration[] = [];

  const uniqueName = (wanted: string): string => {
    const base = /^[A-Za-z_][A-Za-z0-9_]*$/.test(wanted) ? wanted : `Model${wanted.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let name = base;
    for (let n = 2; used.has(name); n += 1) name = `${base}${n}`;
    used.add(name);
    return name;
  };
  const visitFields = (model: ObjectModel) => {
    for (const field of model.fields) for (const nested of modelsIn(field.type)) visitNested(nested);
  };
  const visitNested = (model: ObjectModel) => {
    if (nameOf.has(model)) return;
    nameOf.set(model, uniqueName(model.name));
    visitFields(model);
    declarations.push({ name: nameOf.get(model)!, model });
  };
  const visitRole = (model: ObjectModel, name: string) => {
    const earlier = nameOf.get(model);
    if (earlier !== undefined) {
      declarations.push({ name, model, sameAs: earlier });
      return;
    }
    nameOf.set(model, name);
    visitFields(model);
    declarations.push({ name, model });
  };
  for (const method of contract.methods) {
    visitRole(method.params, paramsName(method.name));
    if (method.result) visitRole(method.result, resultName(method.name));
  }
  return { declarations, nameOf, paramsName, resultName };
}
