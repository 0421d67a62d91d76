/** Parsers for environment values. Each returns the parsed value or throws a message for the user. */
export type Parser<T> = (raw: string) => T;

export function integer(opts: { min?: number; max?: number } = {}): Parser<number> {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number, got '${raw}'`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) throw new Error(`is too large: '${raw}'`);
    if (opts.min !== undefined && value < opts.min) throw new Error(`must be at least ${opts.min}, got ${value}`);
    if (opts.max !== undefined && value > opts.max) throw new Error(`must be at most ${opts.max}, got ${value}`);
    return value;
  };
}

export function oneOf<T extends string>(...choices: T[]): Parser<T> {
  return (raw) => {
    if ((choices as string[]).includes(raw)) return raw as T;
    throw new Error(`must be one of ${choices.join(', ')}, got '${raw}'`);
  };
}

export function matching(pattern: RegExp, what: string): Parser<string> {
  return (raw) => {
    if (pattern.test(raw)) return raw;
    throw new Error(`must be ${what}, got '${raw}'`);
  };
}

export function url(protocols: string[]): Parser<string> {
  return (raw) => {
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
  };
}

export function list(): Parser<string[]> {
  return (raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
}

export const text: Parser<string> = (raw) => raw;

/** `true`/`false` (also `1`/`0`, `yes`/`no`, any case). */
export const boolean: Parser<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new Error(`must be true or false, got '${raw}'`);
};
