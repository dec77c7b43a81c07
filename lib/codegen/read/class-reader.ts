import { ClamatorCodegenError, type FieldModel, type ObjectModel, type ScalarKind, type ValueBounds, type ValueType } from '../model.js';
import { checkedLiterals, customRule, decoratorName, MAPPED_DECORATORS, type RuleEffect, type RuleMetadata } from './class-rules.js';

/** Finds the class a property's `@Type(() => X)` names, in whichever copy of class-transformer holds it. */
export type TypeHint = (target: Function, propertyName: string) => Function | undefined;

/** What the reader needs from class-validator: its (process-wide) metadata storage. */
export interface ValidatorMetadataSource {
  getTargetValidationMetadatas(target: Function, schema: string, always: boolean, strictGroups: boolean): RuleMetadata[];
}

interface PropertyFacts {
  kind?: ScalarKind;
  kindFrom?: string;
  literal?: readonly unknown[];
  array: boolean;
  nested: boolean;
  nestedEach: boolean;
  optional: boolean;
  /** Bounds on the value (or, with `each`, on every item). */
  value: { bounds: ValueBounds; notEmpty: boolean; each: boolean }[];
  list: ValueBounds;
  itemKind?: ScalarKind;
  itemLiteral?: readonly unknown[];
}

const DESIGN_TYPES = new Map<unknown, ScalarKind>([
  [Number, 'float'],
  [String, 'str'],
  [Boolean, 'bool'],
]);

function designType(target: Function, propertyName: string): unknown {
  const reflect = Reflect as unknown as { getMetadata?: (key: string, target: object, property: string) => unknown };
  return reflect.getMetadata?.('design:type', target.prototype, propertyName);
}

/**
 * Reads class-validator classes into object models: one model per class, fields in declaration
 * order, each field's type and bounds from its decorators. Whatever it cannot map fails with a
 * message naming the class and field.
 */
export class ClassReader {
  private readonly models = new Map<Function, ObjectModel>();

  constructor(
    private readonly storage: ValidatorMetadataSource,
    private readonly typeHint: TypeHint,
  ) {}

  /** The model of `target`; `where` prefixes error messages (the contract and method). */
  read(target: Function, where: string): ObjectModel {
    const known = this.models.get(target);
    if (known) return known;
    const model: ObjectModel = { name: target.name || 'Anonymous', fields: [] };
    // Registered before its fields are read, so that a class referring to itself terminates.
    this.models.set(target, model);
    const byProperty = new Map<string, RuleMetadata[]>();
    for (const metadata of this.storage.getTargetValidationMetadatas(target, '', true, false)) {
      const rules = byProperty.get(metadata.propertyName) ?? [];
      rules.push(metadata);
      byProperty.set(metadata.propertyName, rules);
    }
    for (const [propertyName, rules] of inheritedFirst(target, byProperty)) {
      model.fields.push(this.readField(target, propertyName, rules, `${where}: ${model.name}.${propertyName}`));
    }
    return model;
  }

  private readField(target: Function, propertyName: string, rules: readonly RuleMetadata[], where: string): FieldModel {
    const facts: PropertyFacts = { array: false, nested: false, nestedEach: false, optional: false, value: [], list: {} };
    // class-validator lists a property's decorators bottom-up; read them top-down, as written.
    for (const rule of [...rules].reverse()) this.applyRule(facts, rule, where);
    return { name: propertyName, optional: facts.optional, type: this.fieldType(target, propertyName, facts, where) };
  }

  private applyRule(facts: PropertyFacts, rule: RuleMetadata, where: string): void {
    if (rule.type === 'conditionalValidation' && rule.name === 'isOptional') {
      facts.optional = true;
      return;
    }
    if (rule.type === 'nestedValidation') {
      facts.nested = true;
      facts.nestedEach ||= rule.each === true;
      return;
    }
    if (rule.type === 'isDefined' || rule.type === 'whitelistValidation') return;
    // @ValidateIf and @ValidatePromise leave no name, only their type.
    const name = rule.type === 'conditionalValidation' ? 'validateIf' : rule.type === 'promiseValidation' ? 'validatePromise' : (rule.name ?? rule.type);
    const effect = rule.type === 'customValidation' ? customRule(name, rule.constraints ?? []) : undefined;
    if (effect instanceof Error) throw new ClamatorCodegenError(`${where}: ${decoratorName(name)} cannot be mapped: ${effect.message}.`);
    if (effect === undefined) {
      throw new ClamatorCodegenError(
        `${where}: ${decoratorName(name)} has no pydantic mapping (mapped: ${MAPPED_DECORATORS.join(', ')}).`,
      );
    }
    this.applyEffect(facts, effect, rule.each === true, name, where);
  }

  private applyEffect(facts: PropertyFacts, effect: RuleEffect, each: boolean, name: string, where: string): void {
    switch (effect.effect) {
      case 'type':
      case 'literal': {
        const slot = each ? 'item' : 'value';
        const kindKey = slot === 'item' ? 'itemKind' : 'kind';
        const literalKey = slot === 'item' ? 'itemLiteral' : 'literal';
        if (effect.effect === 'literal') {
          facts[literalKey] = effect.values;
        } else {
          const current = facts[kindKey];
          const numbers = new Set([current, effect.kind]);
          // @IsInt and @IsNumber together: the narrower one, int, wins.
          if (current === undefined || current === effect.kind) facts[kindKey] = effect.kind;
          else if (numbers.has('int') && numbers.has('float')) facts[kindKey] = 'int';
          else throw new ClamatorCodegenError(`${where}: ${decoratorName(name)} contradicts the field's other type decorator (${current}).`);
        }
        facts.kindFrom ??= decoratorName(name);
        return;
      }
      case 'array':
        facts.array = true;
        return;
      case 'listBounds':
        facts.list = { ...facts.list, ...effect.bounds };
        return;
      case 'notEmpty':
        facts.value.push({ bounds: {}, notEmpty: true, each });
        return;
      case 'bounds':
        if (facts.value.some((b) => b.each === each && Object.keys(effect.bounds).some((k) => k in b.bounds))) {
          throw new ClamatorCodegenError(`${where}: ${decoratorName(name)} repeats a bound the field already has.`);
        }
        facts.value.push({ bounds: effect.bounds, notEmpty: false, each });
        return;
    }
  }

  private fieldType(target: Function, propertyName: string, facts: PropertyFacts, where: string): ValueType {
    const isList = facts.array || facts.nestedEach || facts.itemKind !== undefined || facts.itemLiteral !== undefined || facts.value.some((b) => b.each);
    if (!isList) {
      if (Object.keys(facts.list).length > 0) throw new ClamatorCodegenError(`${where}: array size decorators on a field that is not an array (add @IsArray()).`);
      const base = this.baseType(target, propertyName, facts.kind, facts.literal, facts.nested, where);
      return withBounds(base, facts.value.filter((b) => !b.each), where);
    }
    if (facts.kind !== undefined || facts.literal !== undefined) {
      throw new ClamatorCodegenError(`${where}: ${facts.kindFrom} describes the whole value, but the field is an array; use { each: true } for its items.`);
    }
    if (facts.value.some((b) => !b.each && (b.notEmpty || Object.keys(b.bounds).length > 0))) {
      throw new ClamatorCodegenError(`${where}: a bound without { each: true } on an array field; use @ArrayMinSize/@ArrayMaxSize for its size or { each: true } for its items.`);
    }
    const items = this.baseType(target, propertyName, facts.itemKind, facts.itemLiteral, facts.nested, where, true);
    return { kind: 'list', items: withBounds(items, facts.value, where), bounds: facts.list };
  }

  private baseType(target: Function, propertyName: string, kind: ScalarKind | undefined, literal: readonly unknown[] | undefined, nested: boolean, where: string, item = false): ValueType {
    if (literal !== undefined) {
      const values = checkedLiterals(literal);
      if (values instanceof Error) throw new ClamatorCodegenError(`${where}: its allowed values cannot be mapped: ${values.message}.`);
      return { kind: 'literal', values };
    }
    if (kind !== undefined) return { kind, bounds: {} };
    if (nested) {
      const hinted = this.typeHint(target, propertyName);
      const declared = designType(target, propertyName);
      const nestedClass = hinted ?? (item || declared === Array ? undefined : declared);
      if (typeof nestedClass !== 'function' || DESIGN_TYPES.has(nestedClass) || nestedClass === Object) {
        throw new ClamatorCodegenError(
          `${where}: @ValidateNested needs the nested class: add @Type(() => TheClass) from class-transformer${item ? ' (required for arrays)' : ''}.`,
        );
      }
      return { kind: 'model', model: this.read(nestedClass, where.slice(0, where.lastIndexOf(':'))) };
    }
    const declared = item ? undefined : DESIGN_TYPES.get(designType(target, propertyName));
    if (declared !== undefined) return { kind: declared, bounds: {} };
    throw new ClamatorCodegenError(
      item
        ? `${where}: the array's items have no type; add e.g. @IsInt({ each: true }), @IsString({ each: true }) or @ValidateNested({ each: true }) @Type(() => Item).`
        : `${where}: no type decorator (@IsInt, @IsNumber, @IsString, @IsBoolean, @IsEnum, @IsIn, @IsArray, @ValidateNested) and no emitted design:type to fall back on.`,
    );
  }
}

/**
 * Fields in declaration order, a base class's before its subclass's (class-validator lists the
 * subclass's first), as TypeScript and pydantic order inherited fields.
 */
function inheritedFirst(target: Function, byProperty: Map<string, RuleMetadata[]>): [string, RuleMetadata[]][] {
  const chain: unknown[] = [];
  for (let current: unknown = target; typeof current === 'function' && current !== Function.prototype; current = Object.getPrototypeOf(current)) chain.unshift(current);
  const depth = (rules: readonly RuleMetadata[]) => Math.min(...rules.map((rule) => (chain.includes(rule.target) ? chain.indexOf(rule.target) : chain.length)));
  const entries = [...byProperty];
  // Array.prototype.sort is stable: declaration order holds within each class.
  return entries.sort(([, a], [, b]) => depth(a) - depth(b));
}

/** Applies bound decorators to a base type, refusing those that do not fit it. */
function withBounds(type: ValueType, rules: readonly { bounds: ValueBounds; notEmpty: boolean }[], where: string): ValueType {
  if (rules.length === 0) return type;
  if (type.kind === 'literal' || type.kind === 'model' || type.kind === 'list') {
    if (rules.every((r) => r.notEmpty)) return type;
    throw new ClamatorCodegenError(`${where}: a bound decorator on a ${type.kind === 'literal' ? 'enum' : 'nested object'} field, which has no bounds to map it to.`);
  }
  let bounds: ValueBounds = type.bounds;
  for (const rule of rules) {
    if (rule.notEmpty) {
      if (type.kind === 'str') bounds = { ...bounds, minLength: Math.max(bounds.minLength ?? 0, 1) };
      continue;
    }
    const numeric = 'ge' in rule.bounds || 'le' in rule.bounds || 'gt' in rule.bounds || 'lt' in rule.bounds;
    if (numeric && type.kind !== 'int' && type.kind !== 'float') throw new ClamatorCodegenError(`${where}: a numeric bound (@Min, @Max, @IsPositive, @IsNegative) on a ${type.kind} field.`);
    if (!numeric && type.kind !== 'str') throw new ClamatorCodegenError(`${where}: a string bound (@Length, @MinLength, @MaxLength, @Matches) on a ${type.kind} field.`);
    bounds = { ...bounds, ...rule.bounds };
  }
  return { kind: type.kind, bounds };
}
