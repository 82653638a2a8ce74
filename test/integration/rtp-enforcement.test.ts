// fanotify RTP: the enforcement level changes at run time, without a restart —
// `mdatp config real-time-protection --value disabled` closes the fanotify group (EICAR opens),
// `enabled` blocks again, and `mdatp config passive-mode --value enabled` stops blocking and
// remediating (the file stays where it is, no threat recorded).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, health, openAs, put, skipFanotify, sleep, startRtpDaemon, threats, tmpfs, until, writeAs } from '../helpers/rtp.js';
import type { TestDaemon } from '../helpers/daemon.js';

async function config(t: { equal(a: unknown, b: unknown, m?: string): void }, d: TestDaemon, name: string, value: string): Promise<void> {
  const r = await d.mdatp(['config', name, '--value', value]);
  t.equal(r.code, 0, `mdatp config ${name} --value ${value}: ${r.stderr}`);
}

t.test('enforcement level switches at run time', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const e1 = put(path.join(dir, 'e1.com'), eicar().toString('latin1'));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const active = async () => (await health(d)).features.real_time_protection_active;

  t.match(await openAs(e1), { ok: false, code: 'EPERM' }, 'real_time: blocked');

  await config(t, d, 'real-time-protection', 'disabled');
  t.ok(await until(async () => (await active()) === false), 'the fanotify group is closed');
  const h = await health(d);
  t.match(h.fields, { real_time_protection_enabled: false, real_time_protection_available: true, enforcement_level: 'on_demand' });
  const e2 = path.join(dir, 'e2.com');
  await writeAs(e2, eicar());
  t.match(await openAs(e2), { ok: true }, 'on_demand: EICAR opens');

  await config(t, d, 'real-time-protection', 'enabled');
  t.ok(await until(async () => (await active()) === true), 'monitoring again');
  t.match(await openAs(e2), { ok: false, code: 'EPERM' }, 'real_time again: blocked');

  await config(t, d, 'passive-mode', 'enabled');
  t.ok(await until(async () => (await active()) === false), 'passive: monitoring stopped');
  t.match((await health(d)).fields, { passive_mode_enabled: true, enforcement_level: 'passive' });
  const e3 = path.join(dir, 'e3.com');
  await writeAs(e3, eicar());
  t.match(await openAs(e3), { ok: true }, 'passive: EICAR opens');
  await sleep(1000);
  t.ok(fs.existsSync(e3), 'passive: no remediation, the file stays');
  t.notOk((await threats(d)).some((x) => x.path === e3), 'passive: nothing recorded for it');
});
