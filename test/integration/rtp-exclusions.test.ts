// fanotify RTP: exclusions are honoured without scanning — an EICAR file in an excluded folder,
// and an EICAR file read by an excluded process (by name), are allowed; the statistics show no
// scan for them. The same file read by another process is still denied (a process exclusion
// never leaves an ignore mark behind for others).
import t from 'tap';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { counters, eicar, openAs, put, skipFanotify, startRtpDaemon, tmpfs, NOBODY } from '../helpers/rtp.js';
import type { TestDaemon } from '../helpers/daemon.js';

function readWith(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    p.stdout!.on('data', (c) => (out += c));
    p.stderr!.on('data', (c) => (err += c));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

async function stats(d: TestDaemon): Promise<{ name: string; total_files_scanned: number }[]> {
  return (await d.api('GET', '/v1/rtp/statistics')).json.counters;
}

t.test('excluded folder and excluded process → allowed without a scan', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const excludedDir = path.join(dir, 'build-cache');
  const inExcluded = put(path.join(excludedDir, 'eicar.com'), eicar().toString('latin1'));
  const other = put(path.join(dir, 'other', 'eicar.com'), eicar().toString('latin1'));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });

  t.equal((await d.mdatp(['exclusion', 'folder', 'add', '--path', excludedDir])).code, 0);
  t.equal((await d.mdatp(['exclusion', 'process', 'add', '--name', 'tail'])).code, 0);

  t.match(await openAs(inExcluded), { ok: true }, 'EICAR in an excluded folder opens');
  const viaTail = await readWith('tail', ['-c', '+1', other]);
  t.equal(viaTail.code, 0, `tail (excluded process) reads EICAR: ${viaTail.err}`);
  t.match(viaTail.out, /EICAR-STANDARD/);

  const c = await counters(d);
  t.ok(c.excludedPath >= 1, 'path exclusion counted');
  t.ok(c.excludedProcess >= 1, 'process exclusion counted');
  t.equal(c.scanned, 0, 'nothing was scanned');
  t.same(await stats(d), [], 'statistics: no process had a file scanned');

  const viaCat = await readWith('cat', [other]);
  t.not(viaCat.code, 0, 'cat (not excluded) cannot read the same file');
  t.match(viaCat.err, /Operation not permitted/);
  const rows = await stats(d);
  t.match(rows, [{ name: 'cat', total_files_scanned: 1 }], 'the statistics show the scan done for cat only');
});
