// src/config/parse.ts — value parsers shared by the managed file and local settings: each takes
// an unknown JSON value and returns the normalized value or throws ParseError with the reason.
// Owns value validation only. Must not: know where a value came from.

export class ParseError extends Error {}

export type Parser<T> = (v: unknown) => T;

export const bool: Parser<boolean> = (v) => {
  if (typeof v === 'boolean') return v;
  throw new ParseError(`expected true or false, got ${describe(v)}`);
};

/** MDE writes some switches as "enabled"/"disabled"; booleans are accepted too. */
export const enabledDisabled: Parser<boolean> = (v) => {
  if (v === 'enabled' || v === true) return true;
  if (v === 'disabled' || v === false) return false;
  throw new ParseError(`expected "enabled" or "disabled", got ${describe(v)}`);
};

export function oneOf<T extends string>(...values: T[]): Parser<T> {
  return (v) => {
    if (typeof v === 'string' && (values as string[]).includes(v)) return v as T;
    throw new ParseError(`expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(v)}`);
  };
}

export function int(min: number, max: number): Parser<number> {
  return (v) => {
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new ParseError(`expected an integer, got ${describe(v)}`);
    if (n < min || n > max) throw new ParseError(`expected an integer from ${min} to ${max}, got ${n}`);
    return n;
  };
}

export const str: Parser<string> = (v) => {
  if (typeof v === 'string') return v;
  throw new ParseError(`expected a string, got ${describe(v)}`);
};

export const nullableUrl: Parser<string | null> = (v) => {
  if (v === null || v === '') return null;
  if (typeof v !== 'string') throw new ParseError(`expected a URL string, got ${describe(v)}`);
  if (v.startsWith('/')) return v;
  try {
    const u = new URL(v);
    if (!['http:', 'https:', 'file:'].includes(u.protocol)) throw new ParseError(`unsupported URL scheme ${u.protocol}`);
  } catch (e) {
    if (e instanceof ParseError) throw e;
    throw new ParseError(`not a valid URL: ${JSON.stringify(v)}`);
  }
  return v;
};

export const proxyUrl: Parser<string | null> = (v) => {
  if (v === null || v === '') return null;
  if (typeof v !== 'string') throw new ParseError(`expected a proxy URL string, got ${describe(v)}`);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ParseError(`not a valid proxy URL: ${JSON.stringify(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ParseError(`proxy must be http:// or https://, got ${u.protocol}`);
  return v;
};

export function stringArray(opts: { splitCommas?: boolean } = {}): Parser<string[]> {
  return (v) => {
    if (!Array.isArray(v)) throw new ParseError(`expected an array of strings, got ${describe(v)}`);
    const out: string[] = [];
    v.forEach((x, i) => {
      if (typeof x !== 'string') throw new ParseError(`item ${i}: expected a string, got ${describe(x)}`);
      // MDE's own example writes unmonitoredFilesystems as ["nfs,fuse"].
      for (const part of opts.splitCommas ? x.split(',') : [x]) {
        const p = part.trim();
        if (p) out.push(p);
      }
    });
    return out;
  };
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
