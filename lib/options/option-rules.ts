import { nearestName } from './nearest-name.js';

/**
 * Thrown at construction when an option is invalid or unknown; the message names the option and
 * how to fix it (for an unknown one, the nearest known name or the list of known names).
 */
export class ClamatorOptionsError extends TypeError {
  override readonly name = 'ClamatorOptionsError';

  constructor(
    /** Who was being configured (`ClamatorServer`, `ClamatorClient`, ...). */
    readonly owner: string,
    /** The name of the invalid (or unknown) option. */
    readonly option: string,
    rule: string,
    value: unknown,
    /** The whole message, when the rule-and-value form does not fit. Default: `<owner>: option "<option>" <rule>, got <value>.` */
    message = `${owner}: option "${option}" ${rule}, got ${describe(value)}.`,
  ) {
    super(message);
  }
}

/** The names of an options interface, as an object whose keys the type checker keeps complete (`satisfies Record<keyof T, true>`). */
export type KnownOptionNames = Readonly<Record<string, true>>;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

/** Validates one owner's options; every check throws a `ClamatorOptionsError` naming the option. */
export class OptionRules {
  constructor(
    /** Who is being configured, as error messages name it. */
    protected readonly owner: string,
  ) {}

  /**
   * Refuses an own key of `options` that is not in `known` (a misspelt option would otherwise be
   * ignored in silence), suggesting the nearest known name. Values are not looked at: an option
   * set to `undefined` is fine. Anything but an object is left to the other rules.
   */
  onlyKnown(options: unknown, known: KnownOptionNames): void {
    if (options === null || typeof options !== 'object') return;
    for (const option of Object.keys(options)) {
      if (Object.hasOwn(known, option)) continue;
      const names = Object.keys(known);
      const nearest = nearestName(option, names);
      const hint = nearest === undefined ? `known options: ${names.join(', ')}` : `did you mean "${nearest}"?`;
      const value = (options as Record<string, unknown>)[option];
      throw new ClamatorOptionsError(this.owner, option, 'is unknown', value, `${this.owner}: unknown option "${option}" (${hint})`);
    }
  }

  /** A non-empty string. */
  requiredString(name: string, value: unknown, hint = ''): string {
    if (typeof value !== 'string' || value.length === 0) {
      throw new ClamatorOptionsError(this.owner, name, `is required and must be a non-empty string${hint}`, value);
    }
    return value;
  }

  /** A non-empty string when given, else the fallback. */
  optionalString(name: string, value: unknown, fallback: string): string {
    if (value === undefined) return fallback;
    return this.requiredString(name, value);
  }

  /** An integer within `[min, max]` when given, else the fallback. */
  integer(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, unit = ''): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
      throw new ClamatorOptionsError(this.owner, name, `must be an integer ${range}${unit ? ` (${unit})` : ''}`, value);
    }
    return value;
  }

  /** A Redis URL (`redis://`, `rediss://` or `unix://`). */
  redisUrl(name: string, value: unknown): string {
    const url = this.requiredString(name, value);
    if (!/^(rediss?|unix):\/\//.test(url)) {
      throw new ClamatorOptionsError(this.owner, name, 'must be a redis://, rediss:// or unix:// URL', value);
    }
    return url;
  }

  /** An ioredis connection (duck-typed: the caller may use another ioredis copy or major). */
  redisConnection<T>(name: string, value: unknown): T | undefined {
    if (value === undefined) return undefined;
    const candidate = value as { duplicate?: unknown; xadd?: unknown } | null;
    if (!candidate || typeof candidate.duplicate !== 'function' || typeof candidate.xadd !== 'function') {
      throw new ClamatorOptionsError(this.owner, name, 'must be an ioredis connection (new Redis(...) or new Cluster(...))', value);
    }
    return value as T;
  }

  /** Refuses `value` of option `name` for breaking `rule`. */
  refuse(name: string, rule: string, value: unknown): never {
    throw new ClamatorOptionsError(this.owner, name, rule, value);
  }

  /** A boolean when given, else the fallback. */
  boolean(name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new ClamatorOptionsError(this.owner, name, 'must be true or false', value);
    return value;
  }

  /** A plain object when given. */
  object(name: string, value: unknown): void {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ClamatorOptionsError(this.owner, name, 'must be an object', value);
    }
  }
}
