// fanotify RTP: the scanner process killed with SIGKILL in the middle of an open storm (every
// open waits for a YARA verdict from it) → every open is answered (the ones in flight at once,
// with the error verdict; later ones by the restarted scanner), no process stays blocked, and
// nothing waits for the 20 s deadline.
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NOBODY, blockedOnFanotify, health, put, skipFanotify, startRtpDaemon, tmpfs, until } from '../helpers/rtp.js';

const FILES = 2000;
const READERS = 4;

t.test('SIGKILL of the scanner during an open storm: nobody stays blocked', { skip: skipFanotify, timeout: 90_000 }, async (t) => {
  const mount = tmpfs(t);
  const files: string[] = [];
  for (let i = 0; i < FILES; i++) files.push(put(path.join(mount, `d${i % 20}`, `f${i}.txt`), `storm file ${i}\n`.repeat(64)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-sstorm-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'definitions.d'));
  // A rule that never matches these files: every open still needs a YARA verdict.
  fs.writeFileSync(path.join(dir, 'definitions.d', 'never.yar'), 'rule storm_never { strings: $a = "no-such-string-4f1a" condition: $a }');
  const d = await startRtpDaemon(t, { dir, backend: 'fanotify', paths: [mount], managed: { wdavdaemon: { rtpTimeoutMs: 20_000 } } });
  const first = (await health(d)).features.scanner;

  const t0 = Date.now();
  const readers = Array.from({ length: READERS }, (_, r) => {
    const mine = files.filter((_, i) => i % READERS === r);
    const p = spawn('sh', ['-c', 'for f in "$@"; do cat "$f" >/dev/null || echo "FAIL $f"; done; echo DONE', 'storm', ...mine], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (c) => (out += c));
    return { p, done: new Promise<{ out: string; ms: number }>((resolve) => p.on('close', () => resolve({ out, ms: Date.now() - t0 }))) };
  });
  t.teardown(() => readers.forEach((r) => r.p.kill('SIGKILL')));
  // Killed once the storm is under way.
  t.ok(await until(async () => (await health(d)).features.scanner.in_flight > 0 || Date.now() - t0 > 300, 5_000));
  process.kill(first.pid, 'SIGKILL');
  const killedAt = Date.now();

  let timer: NodeJS.Timeout | undefined;
  const outs = await Promise.race([
    Promise.all(readers.map((r) => r.done)),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 15_000))),
  ]);
  clearTimeout(timer);
  t.ok(outs, `every reader finished (${Date.now() - killedAt} ms after the kill)`);
  t.notOk(readers.some((r) => blockedOnFanotify(r.p.pid)), 'no reader is blocked on fanotify');
  for (const o of outs ?? []) {
    t.match(o.out, /DONE\n$/, 'the reader went through its files');
    t.notMatch(o.out, /FAIL/, 'every clean file opened');
    t.ok(o.ms < 15_000, `in ${o.ms} ms, no open waited for the 20 s deadline`);
  }
  const back = await until(async () => {
    const s = (await health(d)).features.scanner;
    return s.state === 'running' && s.pid !== first.pid ? s : null;
  }, 5_000);
  t.ok(back, 'the scanner is back');
  t.match(back, { last_crash: { signal: 'SIGKILL' } });
});
