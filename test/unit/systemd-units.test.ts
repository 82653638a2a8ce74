// The systemd units verify, and the install script stages the app, the units and the links and
// its uninstall removes them (staged under a temp root: the test never touches the real system).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

t.test('systemd-analyze verify', { skip: hasAnalyze ? false : 'systemd-analyze is not installed' }, async (t) => {
  const units = fs.readdirSync('systemd').filter((f) => /\.(service|timer)$/.test(f));
  t.ok(units.includes('wdavdaemon.service'));
  const r = spawnSync('systemd-analyze', ['verify', ...units.map((u) => path.join('systemd', u))], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr.trim(), '', 'no warnings');
  const unit = fs.readFileSync('systemd/wdavdaemon.service', 'utf8');
  for (const k of ['Type=notify', 'NotifyAccess=main', 'WatchdogSec=', 'TimeoutAbortSec=', 'Restart=on-failure', 'ExecReload=', 'RuntimeDirectory=wdavdaemon', 'StateDirectory=wdavdaemon', 'CapabilityBoundingSet=']) t.match(unit, k);
  for (const k of ['ProtectSystem', 'PrivateTmp', 'ProtectHome', 'PrivateDevices']) t.notMatch(unit, new RegExp(`^${k}=`, 'm'), `${k} would hide mounts from fanotify`);
});

t.test('install-service --root stages, --uninstall removes', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-install-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  execFileSync('bash', ['scripts/install-service.sh', '--root', root], { encoding: 'utf8' });
  for (const f of ['opt/wdavdaemon/dist/daemon/main.js', 'opt/wdavdaemon/build/Release/wdav.node', 'etc/systemd/system/wdavdaemon.service', 'usr/lib/sysusers.d/wdavdaemon.conf', 'usr/lib/tmpfiles.d/wdavdaemon.conf']) {
    t.ok(fs.existsSync(path.join(root, f)), f);
  }
  t.equal(fs.readlinkSync(path.join(root, 'usr/local/bin/mdatp')), '/opt/wdavdaemon/bin/mdatp.cjs');
  const out = spawnSync(process.execPath, [path.join(root, 'opt/wdavdaemon/bin/mdatp.cjs'), '--version'], { encoding: 'utf8' });
  t.match(out.stdout.trim(), /^\d+\.\d+\.\d+$/, 'the installed copy runs');
  execFileSync('bash', ['scripts/install-service.sh', '--root', root, '--uninstall'], { encoding: 'utf8' });
  t.notOk(fs.existsSync(path.join(root, 'opt/wdavdaemon')));
  t.notOk(fs.existsSync(path.join(root, 'etc/systemd/system/wdavdaemon.service')));
  t.notOk(fs.existsSync(path.join(root, 'usr/local/bin/mdatp')));
});
