// mdatp end to end for the configuration, log level, exclusion, diagnostic and version
// commands, in text and JSON, against the daemon built in the test's process (real socket,
// real peer credentials; test/helpers/inproc.ts).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runMdatp } from '../helpers/daemon.js';
import { InProcDaemon } from '../helpers/inproc.js';

t.test('config commands', async (t) => {
  const d = await InProcDaemon.start(t);
  const cases: [string, string, string, unknown][] = [
    ['real-time-protection', 'disabled', 'enforcement_level', 'on_demand'],
    ['real-time-protection', 'enabled', 'enforcement_level', 'real_time'],
    ['passive-mode', 'enabled', 'passive_mode_enabled', true],
    ['passive-mode', 'disabled', 'passive_mode_enabled', false],
  ];
  for (const [name, value, field, expected] of cases) {
    const r = await d.mdatp(['config', name, '--value', value]);
    t.equal(r.code, 0, `${name} ${value}: ${r.stderr}`);
    t.equal(r.stdout.trim(), 'Configuration property updated.');
    const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
    t.equal(h[field], expected, `${name} ${value} → ${field}`);
  }
  for (const [name, value, setting, expected] of [
    ['scan-archives', 'disabled', 'scanArchives', false],
    ['maximum-on-demand-scan-threads', '8', 'maximumOnDemandScanThreads', 8],
    ['scan-after-definition-update', 'disabled', 'scanAfterDefinitionUpdate', false],
    ['enable-file-hash-computation', 'enabled', 'enableFileHashComputation', true],
  ] as const) {
    const r = await d.mdatp(['config', name, '--value', value, '--output', 'json']);
    t.equal(r.code, 0);
    t.same(JSON.parse(r.stdout), { name, setting, value: expected }, `${name} JSON`);
  }
  const cfg = await d.api('GET', '/v1/config');
  t.equal(cfg.json.settings.maximumOnDemandScanThreads, 8, 'stored');
  await d.restart();
  t.equal((await d.api('GET', '/v1/config')).json.settings.maximumOnDemandScanThreads, 8, 'local settings persist across restarts');

  const bad = await d.mdatp(['config', 'maximum-on-demand-scan-threads', '--value', '0']);
  t.not(bad.code, 0);
  t.match(bad.stderr, /from 1 to 64/);
  const missing = await d.mdatp(['config', 'scan-archives']);
  t.not(missing.code, 0, 'missing --value is an error');
});

t.test('log level', async (t) => {
  const d = await InProcDaemon.start(t);
  const r = await d.mdatp(['log', 'level', 'set', '--level', 'debug']);
  t.equal(r.code, 0);
  t.equal(r.stdout.trim(), 'Log level configured successfully');
  t.equal((await d.mdatp(['health', '--field', 'log_level'])).stdout.trim(), '"debug"');
  await d.mdatp(['health']);
  await d.waitForLog((l) => l.msg === 'api request' && l.level === 20);
  t.pass('debug records appear at once, without a restart');
  const bad = await d.mdatp(['log', 'level', 'set', '--level', 'loud']);
  t.not(bad.code, 0);
  t.match(bad.stderr, /expected one of/);
});

t.test('exclusions', async (t) => {
  const d = await InProcDaemon.start(t);
  const add: [string[], string][] = [
    [['folder', 'add', '--path', '/var/log/'], 'Folder exclusion configured successfully'],
    [['file', 'add', '--path', '/srv/app.conf', '--scope', 'global'], 'File exclusion configured successfully'],
    [['extension', 'add', '--name', '.iso'], 'Extension exclusion configured successfully'],
    [['process', 'add', '--name', 'cat'], 'Process exclusion configured successfully'],
    [['process', 'add', '--path', '/usr/bin/rsync'], 'Process exclusion configured successfully'],
  ];
  for (const [args, msg] of add) {
    const r = await d.mdatp(['exclusion', ...args]);
    t.equal(r.code, 0, r.stderr);
    t.equal(r.stdout.trim(), msg);
  }
  const dup = await d.mdatp(['exclusion', 'folder', 'add', '--path', '/var/log']);
  t.not(dup.code, 0);
  t.match(dup.stderr, /already exists/);
  const list = JSON.parse((await d.mdatp(['exclusion', 'list', '--output', 'json'])).stdout);
  t.same(list, [
    { type: 'folder', path: '/var/log', scope: 'epp', managed: false },
    { type: 'file', path: '/srv/app.conf', scope: 'global', managed: false },
    { type: 'extension', extension: '.iso', scope: 'epp', managed: false },
    { type: 'process', name: 'cat', scope: 'epp', managed: false },
    { type: 'process', name: '/usr/bin/rsync', scope: 'epp', managed: false },
  ]);
  const text = (await d.mdatp(['exclusion', 'list'])).stdout;
  t.match(text, /Exclusion type: "folder"\nExclusion path: "\/var\/log"\nExclusion scope: "epp"\nIs exclusion managed: false/);
  const rm = await d.mdatp(['exclusion', 'extension', 'remove', '--name', 'iso']);
  t.equal(rm.stdout.trim(), 'Extension exclusion removed successfully');
  const gone = await d.mdatp(['exclusion', 'extension', 'remove', '--name', 'iso']);
  t.not(gone.code, 0);
  t.match(gone.stderr, /No such exclusion/);
  const relative = await d.mdatp(['exclusion', 'folder', 'add', '--path', 'var/log']);
  t.not(relative.code, 0);
  t.match(relative.stderr, /absolute/);
  const noPath = await d.mdatp(['exclusion', 'folder', 'add']);
  t.not(noPath.code, 0);
  t.match(noPath.stderr, /missing --path/);
});

t.test('diagnostic create and version', async (t) => {
  const d = await InProcDaemon.start(t);
  const out = path.join(d.dir, 'diag');
  fs.mkdirSync(out);
  const r = await d.mdatp(['diagnostic', 'create', '--path', out]);
  t.equal(r.code, 0, r.stderr);
  const m = /^Diagnostic file created: (.*\.tar\.gz)$/.exec(r.stdout.trim());
  t.ok(m, r.stdout);
  const listing = execFileSync('tar', ['tzf', m![1]!], { encoding: 'utf8' });
  for (const f of ['versions.json', 'health.json', 'config-effective.json', 'config-local.json', 'config-managed-file.json', 'database-check.json']) {
    t.match(listing, new RegExp(`/${f.replace('.', '\\.')}$`, 'm'), `has ${f}`);
  }
  const check = JSON.parse(execFileSync('tar', ['xzOf', m![1]!, '--wildcards', '*/database-check.json'], { encoding: 'utf8' }));
  t.equal(check.integrity_check, 'ok');
  t.equal((fs.statSync(m![1]!).mode & 0o777).toString(8), '600', 'private');
  const j = JSON.parse((await d.mdatp(['diagnostic', 'create', '--output', 'json'])).stdout);
  t.ok(j.path.startsWith(d.stateDir), 'default location is the state dir');
  const notDir = await d.mdatp(['diagnostic', 'create', '--path', path.join(d.dir, 'nope')]);
  t.not(notDir.code, 0);
  t.match(notDir.stderr, /does not exist/);

  const v = await d.mdatp(['version']);
  t.match(v.stdout, /^Product version: \d+\.\d+\.\d+/);
  const vj = JSON.parse((await d.mdatp(['version', '--output', 'json'])).stdout);
  t.equal(vj.app_version, JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
});

t.test('daemon not running: one line naming the socket, non-zero exit', async (t) => {
  const sock = '/tmp/wdav-test-no-such-daemon.sock';
  const r = await runMdatp(['--socket', sock, 'health']);
  t.equal(r.code, 1);
  t.equal(r.stderr.trim(), `Cannot connect to wdavdaemon at ${sock}: no such socket (is the daemon running?)`);
  const env = await runMdatp(['health'], { env: { ...process.env, MDATP_SOCKET: sock } });
  t.match(env.stderr, new RegExp(sock), 'MDATP_SOCKET is honoured');
  const unknown = await runMdatp(['frobnicate']);
  t.equal(unknown.code, 2, 'usage errors exit 2');
});

t.test('--output json on every command of this group is one JSON document', async (t) => {
  const d = await InProcDaemon.start(t);
  const runs: string[][] = [
    ['health'],
    ['health', '--details', 'definitions'],
    ['health', '--details', 'features'],
    ['config', 'scan-archives', '--value', 'enabled'],
    ['log', 'level', 'set', '--level', 'info'],
    ['exclusion', 'folder', 'add', '--path', '/srv/json'],
    ['exclusion', 'list'],
    ['exclusion', 'folder', 'remove', '--path', '/srv/json'],
    ['diagnostic', 'create'],
    ['version'],
  ];
  for (const args of runs) {
    const r = await d.mdatp([...args, '--output', 'json']);
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    t.doesNotThrow(() => JSON.parse(r.stdout), `${args.join(' ')} prints JSON`);
  }
});
