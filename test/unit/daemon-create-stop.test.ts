// The composition root (src/daemon/create.ts): every stage removes what it added when it stops —
// configuration and definitions listeners, health providers, diagnostics — and the scanner
// process it started is gone; a stage that fails stops the ones that started before it, in
// reverse, and the error reaches the caller.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { InProcDaemon } from '../helpers/inproc.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

t.test('stop removes every listener, health provider and diagnostic, and the scanner', { skip: process.getuid?.() !== 0 && 'the scanner runs as user mdatp' }, async (t) => {
  const d = await InProcDaemon.start(t);
  const s = d.services;
  t.ok(s.scans && s.rtp, 'the late stages started');
  t.ok(s.config.listenerCount('change') > 0, 'stages listen to configuration changes');
  t.ok(s.definitions.listenerCount('changed') > 0, 'RTP listens to definitions changes');
  t.ok(s.health.names().length >= 8, `health providers: ${s.health.names().join(', ')}`);
  const pid = s.scanner.process.health().pid!;
  t.ok(alive(pid), 'the scanner process runs');
  await d.d.stop('test');
  t.equal(s.config.listenerCount('change'), 0, 'no configuration listener left');
  t.equal(s.definitions.listenerCount('changed'), 0, 'no definitions listener left');
  t.same(s.health.names(), [], 'no health provider left');
  t.same([...s.diagnostics.keys()], [], 'no diagnostic section left');
  t.ok(await gone(pid), 'the scanner process is gone');
  t.notOk(fs.existsSync(d.socket), 'the socket is removed');
});

t.test('a failed stage stops what started before it', { skip: process.getuid?.() !== 0 && 'the scanner runs as user mdatp' }, async (t) => {
  const dir = t.testdir({ run: { 'mdatp.sock': 'a regular file where the socket goes' } });
  const err = await InProcDaemon.start(t, { socket: path.join(dir, 'run', 'mdatp.sock') }).then(
    () => null,
    (e: unknown) => e as Error & { code?: string; stopped?: InProcDaemon },
  );
  t.ok(err, 'startup fails');
  t.equal(err?.code, 'WDAV_ERR_CONFLICT', 'with the API stage\'s coded error');
  t.match(err?.message, /exists and is not a socket/);
  const inproc = InProcDaemon.last!;
  t.ok(inproc.logs.some((r) => r.msg === 'startup failed at stage api'), 'the failed stage is logged');
  for (const stage of ['threats', 'engine', 'definitions', 'scanner', 'store', 'config']) {
    t.ok(inproc.logs.some((r) => r.msg === `${stage} stopped`), `${stage} stopped`);
  }
  const started = inproc.logs.find((r) => r.msg === 'scanner: running');
  t.type(started?.scannerPid, 'number', 'a scanner process had started');
  t.ok(await gone(started!.scannerPid as number), 'its scanner process is gone');
  t.equal(fs.readFileSync(path.join(dir, 'run', 'mdatp.sock'), 'utf8'), 'a regular file where the socket goes', 'the file in the way is untouched');
});
