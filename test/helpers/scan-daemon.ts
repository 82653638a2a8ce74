// test/helpers/scan-daemon.ts — helpers for the on-demand scan integration tests: planted
// trees and ClamAV signatures written at test time (EICAR assembled from parts), and
// `mdatp scan ... --output json` parsed.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { TestDaemon } from './daemon.js';
import type { ScanSummary, ScanThreat } from '../../src/scan/types.js';
import { eicar } from './archive-fixtures.js';

export { eicar };

/** Writes files (relative path → content), creating directories. */
export function writeTree(root: string, files: Record<string, Buffer | string>): void {
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  }
}

/** A hash signature (.hsb) for `data` and a body signature (.ndb) for `bodyHex`, in dir. */
export function writeSignatures(dir: string, hashed: { data: Buffer; name: string }[], bodies: { hex: string; name: string }[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'test.hsb'), hashed.map((h) => `${createHash('sha256').update(h.data).digest('hex')}:${h.data.length}:${h.name}`).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'test.ndb'), bodies.map((b) => `${b.name}:0:*:${b.hex}`).join('\n') + '\n');
}

/** What `mdatp scan ... --output json` prints (src/cli/commands/scan.ts). */
export type ScanJson = Omit<ScanSummary, 'ignoreExclusions' | 'requestedBy'> & { threats: ScanThreat[] };

export async function scanJson(d: TestDaemon, args: string[]): Promise<{ code: number | null; doc: ScanJson; stderr: string }> {
  const r = await d.mdatp(['scan', ...args, '--output', 'json']);
  let doc: ScanJson;
  try {
    doc = JSON.parse(r.stdout) as ScanJson;
  } catch {
    throw new Error(`mdatp scan ${args.join(' ')} did not print JSON (exit ${r.code}): ${r.stdout} ${r.stderr}`);
  }
  return { code: r.code, doc, stderr: r.stderr };
}


/** A scan's threats as file (relative to root) → `name @ memberPath`, for archive tests. */
export function threatsByFile(doc: ScanJson, root: string): Record<string, string> {
  return Object.fromEntries(doc.threats.map((x) => [path.relative(root, x.path), `${x.name} @ ${x.memberPath ?? ''}`]));
}
