/**
 * Parsers for environment values. Each returns the parsed value or throws a message for the user,
 * and says in `kind` what it accepts (the type column of docs/configuration.md).
 */
export type Parser<T> = ((raw: string) => T) & { readonly kind?: string };

/** A parser that says what it accepts, for the configuration reference. */
export function describedAs<T>(kind: string, parse: (raw: string) => T): Parser<T> {
  return Object.assign(parse, { kind });
}

function integerKind(opts: { min?: number; max?: number }): string {
  if (opts.min !== undefined && opts.max !== undefined) return `integer ${opts.min}–${opts.max}`;
  if (opts.min !== undefined) return `integer ≥ ${opts.min}`;
  if (opts.max !== undefined) return `integer ≤ ${opts.max}`;
  return 'integer';
}

export function integer(opts: { min?: number; max?: number } = {}): Parser<number> {
  return describedAs(integerKind(opts), (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number, got '${raw}'`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) throw new Error(`is too large: '${raw}'`);
    if (opts.min !== undefined && value < opts.min) throw new Error(`must be at least ${opts.min}, got ${value}`);
    if (opts.max !== undefined && value > opts.max) throw new Error(`must be at most ${opts.max}, got ${value}`);
    return value;
  });
}

export function oneOf<T extends string>(...choices: T[]): Parser<T> {
  return describedAs(`one of ${choices.map((choice) => `\`${choice}\``).join(', ')}`, (raw) => {
    if ((choices as string[]).includes(raw)) return raw as T;
    throw new Error(`must be one of ${choices.join(', ')}, got '${raw}'`);
  });
}

export function matching(pattern: RegExp, what: string): Parser<string> {
  return describedAs(`text: ${what}`, (raw) => {
    if (pattern.test(raw)) return raw;
    throw new Error(`must be ${what}, got '${raw}'`);
  });
}

export function url(protocols: string[]): Parser<string> {
  return describedAs(`URL (${protocols.map((protocol) => `\`${protocol}\``).join(', ')})`, (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`must be a URL, got '${raw}'`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new Error(`must use ${protocols.join(' or ')}, got '${parsed.protocol}'`);
    }
    return raw.replace(/\/+$/, '');
  });
}

export function list(): Parser<string[]> {
  return describedAs('comma-separated list', (raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );
}

export const text: Parser<string> = describedAs('text', (raw) => raw);

export const boolean: Parser<boolean> = describedAs('boolean', (raw) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new Error(`must be true or false, got '${raw}'`);
});

/**
 * Express's `trust proxy`: `false`/`true`, a number of proxy hops, or comma-separated addresses
 * and subnets (`loopback`, `10.0.0.0/8`, ...).
 */
export const trustProxy: Parser<boolean | number | string[]> = describedAs(
  '`true`, `false`, a number of hops, or comma-separated addresses/subnets',
  (raw) => {
    const value = raw.trim();
    if (/^\d+$/.test(value)) return Number(value);
    try {
      return boolean(value);
    } catch {
      const entries = list()(value);
      if (entries.length === 0 || entries.some((e) => !/^[0-9A-Za-z.:/-]+$/.test(e))) {
        throw new Error(`must be true, false, a number of hops, or addresses/subnets, got '${raw}'`);
      }
      return entries;
    }
  },
);
