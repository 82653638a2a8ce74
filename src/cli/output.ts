// src/cli/output.ts — how mdatp prints: MDE's `name : value` lines (strings quoted, booleans
// and numbers bare, lists as JSON, [managed] after values set by the managed file), or one
// JSON document with --output json. Owns formatting only.

export type OutputFormat = 'text' | 'json';

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return '""';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** MDE aligns the colons of a block of fields. */
export function fieldLines(fields: Record<string, unknown>, managed: readonly string[] = []): string {
  const width = Math.max(0, ...Object.keys(fields).map((k) => k.length));
  return Object.entries(fields)
    .map(([k, v]) => `${k.padEnd(width)} : ${formatValue(v)}${managed.includes(k) ? ' [managed]' : ''}`)
    .join('\n');
}

export interface Out {
  format: OutputFormat;
  json(doc: unknown): void;
  line(text: string): void;
}

export function makeOut(format: OutputFormat, write: (s: string) => void = (s) => process.stdout.write(s)): Out {
  return {
    format,
    json: (doc) => write(JSON.stringify(doc, null, 2) + '\n'),
    line: (text) => write(text + '\n'),
  };
}
