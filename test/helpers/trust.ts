// test/helpers/trust.ts — shared by the trust tests (ARCHITECTURE §3.9): the other user they
// act as (wdavtest-other, created by .ci/run), running a small node script as that user (writes
// done by that user, not faked by the runner), and waiting for a daemon that may refuse to start.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { TestDaemon, foreignNode, foreignUserEnv, isRoot } from './daemon.js';

export function uidOf(user: string): number | null {
  try {
    return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

/** uid of wdavtest-other, or null when the user does not exist. */
export const otherUid = uidOf('wdavtest-other');

/** Why a test that acts as wdavtest-other cannot run here, or false. */
export const skipOther = !isRoot ? 'needs root to act as another user' : otherUid === null ? 'needs user wdavtest-other (.ci/run creates it)' : false;

/** Runs `script` (node -e) as wdavtest-other with `args`; answers its exit status and stderr. */
export function asOther(script: string, ...args: string[]): { status: number | null; stderr: string } {
  const [cmd, argv] = foreignNode(['-e', script, ...args]);
  const r = spawnSync(cmd, argv, { uid: otherUid!, gid: otherUid!, env: foreignUserEnv(), encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** Writes `text` to `file` as wdavtest-other (the file must be writable by that user). */
export function writeAsOther(file: string, text: string): void {
  const r = asOther('require("fs").writeFileSync(process.argv[1], process.argv[2])', file, text);
  if (r.status !== 0) throw new Error(`writing ${file} as wdavtest-other failed: ${r.stderr}`);
}

/**
 * Waits until the daemon is ready or has exited (a refusal to start), or `ms` passed; after an
 * exit, until its stderr is read to the end (the exit event may come first).
 */
export async function readyOrExit(d: TestDaemon, ms = 15_000): Promise<'ready' | 'exited' | 'timeout'> {
  try {
    await d.ready(ms);
    return 'ready';
  } catch {
    if (d.exitCode === null && d.exitSignal === null) return 'timeout';
    const err = d.proc.stderr;
    if (err && !err.readableEnded) await Promise.race([once(err, 'end'), new Promise((r) => setTimeout(r, 2000))]);
    return 'exited';
  }
}

/**
 * What an attacker who can write into the quarantine directory but cannot read quarantine.key
 * does to a quarantine item whose plaintext they know (a file they had detected): the content
 * is encrypted with a stream cipher (AES-CTR), so XOR-ing the ciphertext with
 * known ⊕ wanted gives a ciphertext of `wanted` without the key; the header is then edited to
 * match (sha256, size, and any path, owner or mode). Keeps the authentication tag of a format
 * that has one (it cannot be recomputed without the key). Answers the forged file's bytes.
 */
export function forgeQuarantineItem(item: Buffer, known: Buffer, wanted: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const magic = item.subarray(0, 8).toString('latin1');
  const hlen = item.readUInt32BE(8);
  const header = JSON.parse(item.subarray(12, 12 + hlen).toString('utf8')) as Record<string, unknown>;
  const tagLen = magic === 'WDAVQF01' ? 0 : 32;
  const cipher = item.subarray(12 + hlen, item.length - tagLen);
  const tag = item.subarray(item.length - tagLen);
  if (wanted.length > known.length || cipher.length !== known.length) throw new Error('forgeQuarantineItem: wanted must not be longer than the known plaintext');
  const forged = Buffer.alloc(wanted.length);
  for (let i = 0; i < wanted.length; i++) forged[i] = cipher[i]! ^ known[i]! ^ wanted[i]!;
  header.sha256 = createHash('sha256').update(wanted).digest('hex');
  header.size = wanted.length;
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([item.subarray(0, 8), len, json, forged, tag]);
}

interface Asserts {
  equal(a: unknown, b: unknown, m?: string): void;
  not(a: unknown, b: unknown, m?: string): void;
  match(a: unknown, b: unknown, m?: string): void;
}

/**
 * Starts a daemon in `dir` that must refuse to start: it exits non-zero with one line on
 * stderr naming `where` and giving `fix`. Answers that line.
 */
export async function expectRefusal(t: Asserts & { teardown(fn: () => unknown): void }, dir: string, where: string, fix: string | RegExp): Promise<string> {
  const d = await TestDaemon.start(t, { dir, waitReady: false });
  t.equal(await readyOrExit(d), 'exited', 'the daemon did not start');
  t.not(d.exitCode, 0, 'exits non-zero');
  const lines = d.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line on stderr: ${d.stderr}`);
  t.match(lines[0], where, 'names the path');
  t.match(lines[0], fix, 'gives the fix');
  return lines[0]!;
}
