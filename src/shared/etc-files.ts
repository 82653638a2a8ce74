// src/shared/etc-files.ts — the line of /etc/passwd or /etc/group (colon-separated, name first)
// for one name, as its fields; null when the file cannot be read or has no such name.
// Owns: that parse. Must not: interpret the fields (callers do).
import fs from 'node:fs';

export function etcEntry(file: string, name: string): string[] | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name) return fields;
  }
  return null;
}
