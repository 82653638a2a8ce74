// src/definitions/ign2.ts — ClamAV ignore lists: `.ign2` lines are `SignatureName[:md5]`,
// legacy `.ign` lines `db:line:SignatureName`. A listed name is never reported (hash, body or
// YARA rule alike). Owns: this syntax. Must not: apply the list (the engine does).

export type IgnOutcome = { ok: true; name: string } | { ok: false; malformed: string };

export function parseIgnLine(line: string, legacy: boolean): IgnOutcome {
  const f = line.split(':');
  const name = legacy ? f[2] : f[0];
  if (legacy && f.length < 3) return { ok: false, malformed: 'expected db:line:SignatureName' };
  if (!name || /\s/.test(name)) return { ok: false, malformed: 'bad signature name' };
  return { ok: true, name };
}
