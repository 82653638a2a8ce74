// The attack, in real time: the state directory's file system is full when malware is opened.
// Quarantine (and the record) cannot be written, so the file stays at its path — and it must
// stay blocked: every open is still denied (a failed quarantine never makes it "clean"), health
// names the full state directory, and once space returns the next open gets it quarantined.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, health, openAs, put, skipFanotify, startRtpDaemon, threats, tmpfs, until } from '../helpers/rtp.js';
import { fillUp, scratchMount } from '../helpers/scratch-fs.js';

t.test('full state dir: EICAR stays in place, every open denied, health says why; quarantined once space returns', { skip: skipFanotify }, async (t) => {
  const tree = tmpfs(t);
  const bad = put(path.join(tree, 'eicar.com'), eicar().toString('latin1'));
  const state = scratchMount(t, '16m');
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [tree], dir: state });
  const filler = path.join(state, 'filler');
  fillUp(filler);

  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'denied');
  const issue = await until(async () => ((await health(d)).fields.health_issues as string[]).find((i) => i.includes(d.stateDir)), 10000);
  t.ok(issue, `health names the state directory: ${issue}`);
  t.equal((await health(d)).fields.healthy, false);
  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'denied again: the failed quarantine did not make it clean');
  // stat, not open: the runner must not open files on the marked mount.
  t.equal(fs.statSync(bad).size, eicar().length, 'the file stays at its path');

  fs.rmSync(filler);
  t.match(await openAs(bad), { ok: false, code: 'EPERM' }, 'still denied');
  const done = await until(async () => (await threats(d)).find((x) => x.path === bad && x.status === 'quarantined'), 10000);
  t.ok(done, 'quarantined once space returned');
  t.notOk(fs.existsSync(bad), 'the file left its path');
  const h = await health(d);
  t.same({ healthy: h.fields.healthy, issues: h.fields.health_issues }, { healthy: true, issues: [] }, 'healthy again');
});
