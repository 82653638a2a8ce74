// Definitions that others can write are not loaded (issue #11, finding 4): an allow list (.fp)
// in the custom definitions directory left writable by others, into which another user wrote
// EICAR's hash, used to make EICAR clean; so did a root-owned allow list in a directory others
// can write (they could swap it). Now such a file is skipped and reported with its path in
// `mdatp health` and `--details definitions`, while trusted files still load (in a directory
// others can write, nothing is trusted).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { TestDaemon } from '../helpers/daemon.js';
import { eicar } from '../helpers/rtp.js';
import { skipOther, writeAsOther } from '../helpers/trust.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const ALLOW_EICAR = `${md5(eicar())}:${eicar().length}:Allow.Eicar\n`;

async function names(d: TestDaemon, files: string, sample: Buffer): Promise<string[]> {
  fs.mkdirSync(files, { recursive: true });
  fs.writeFileSync(path.join(files, 'eicar.com'), eicar());
  fs.writeFileSync(path.join(files, 'sample.bin'), sample);
  const r = await d.mdatp(['scan', 'custom', '--path', files, '--output', 'json']);
  return (JSON.parse(r.stdout).threats as { name: string }[]).map((x) => x.name).sort();
}

async function check(t: Tap.Test, d: TestDaemon, refused: string, what: RegExp, sample: Buffer): Promise<void> {
  t.same(await names(d, path.join(d.dir, 'files'), sample), ['Test.Trusted.Hash', 'Virus:DOS/EICAR_Test_File'], 'EICAR is detected; the trusted file still loads');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.match(h.health_issues.join('\n'), refused, 'health names the refused path');
  t.match(h.health_issues.join('\n'), what, 'and what is wrong');
  const det = JSON.parse((await d.mdatp(['health', '--details', 'definitions', '--output', 'json'])).stdout);
  t.match(det.load_problems.join('\n'), refused, '--details definitions lists it');
}

/** A daemon dir whose drop-in directory holds a trusted hash file for `sample`. */
function prepare(t: Tap.Test, sample: Buffer): { dir: string; defs: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-defs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const defs = path.join(dir, 'definitions.d');
  fs.mkdirSync(defs, { mode: 0o755 });
  fs.writeFileSync(path.join(defs, 'trusted.hdb'), `${md5(sample)}:${sample.length}:Test.Trusted.Hash\n`);
  return { dir, defs };
}

t.test('an allow list others can write: skipped and reported', { skip: skipOther }, async (t) => {
  const sample = randomBytes(1000);
  const { dir, defs } = prepare(t, sample);
  fs.chmodSync(dir, 0o755); // the other user must reach the file
  const allow = path.join(defs, 'allow.fp');
  fs.writeFileSync(allow, '');
  fs.chmodSync(allow, 0o666);
  writeAsOther(allow, ALLOW_EICAR);
  const d = await TestDaemon.start(t, { dir });
  await check(t, d, allow, /writable by (group and )?others/, sample);
  // A reload applies the same rule.
  t.equal((await d.mdatp(['definitions', 'reload'])).code, 0);
  await check(t, d, allow, /chmod go-w/, sample);
});

t.test('a root-owned allow list in a directory others can write: skipped and reported', async (t) => {
  const sample = randomBytes(1000);
  const { dir, defs } = prepare(t, sample);
  fs.writeFileSync(path.join(defs, 'allow.fp'), ALLOW_EICAR, { mode: 0o644 });
  fs.chmodSync(defs, 0o777);
  const d = await TestDaemon.start(t, { dir });
  t.same(await names(d, path.join(dir, 'files'), sample), ['Virus:DOS/EICAR_Test_File'], 'EICAR is detected: nothing in the directory was loaded');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.match(h.health_issues.join('\n'), defs, 'health names the directory');
  t.match(h.health_issues.join('\n'), `chmod go-w ${defs}`, 'with the fix');
});
