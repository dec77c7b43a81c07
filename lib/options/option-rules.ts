/** Thrown at construction when an option is invalid; the message names the option and how to fix it. */
export class ClamatorOptionsError extends TypeError {
  override readonly name = 'ClamatorOptionsError';

  constructor(
    /** Who was being configured (`ClamatorServer`, `ClamatorClient`, ...). */
    readonly owner: string,
    /** The name of the invalid option. */
    readonly option: string,
    rule: string,
    value: unknown,
  ) {
    super(`${owner}: option "${option}" ${rule}, got ${describe(value)}.`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

/** Validates one owner's options; every check throws a `ClamatorOptionsError` naming the option. */
export class OptionRules {
  constructor(private readonly owner: string) {}

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
      throw new ClamatorOptionsError(this.owner, name, 'must be an ioredis connection (new Redis(...))', value);
    }
    return value as T;
  }

  /** A plain object when given. */
  object(name: string, value: unknown): void {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ClamatorOptionsError(this.owner, name, 'must be an object', value);
    }
  }
}
