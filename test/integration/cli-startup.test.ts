// mdatp's start-up loads only what the command line needs (src/cli/main.ts): `--version` loads
// no commander, a command loads commander but not cli-progress unless stderr is a terminal, and
// the output stays what users see. Checked on the built CLI (bin/mdatp.cjs -> dist/cli/mdatp.cjs) through the
// CommonJS module cache at exit, where commander and cli-progress live.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { MDATP_BIN } from '../helpers/daemon.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdatp-startup-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const preload = path.join(dir, 'loaded.cjs');
fs.writeFileSync(preload, "process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n");
const socket = path.join(dir, 'none.sock');

function run(args: string[]) {
  const r = spawnSync(process.execPath, ['-r', preload, MDATP_BIN, ...args], { encoding: 'utf8', env: { ...process.env, MDATP_SOCKET: socket } });
  const m = /^LOADED (.*)$/m.exec(r.stderr);
  const loaded: string[] = m ? JSON.parse(m[1]!) : [];
  const has = (pkg: string) => loaded.some((f) => f.includes(`${path.sep}node_modules${path.sep}${pkg}${path.sep}`));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^LOADED .*\n/m, ''), has };
}

t.test('--version prints the version without loading commander', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(MDATP_BIN), '..', 'package.json'), 'utf8')) as { version: string };
  for (const args of [['--version'], ['-V'], ['health', '--version']]) {
    const r = run(args);
    t.equal(r.code, 0, args.join(' '));
    t.equal(r.stdout, `${pkg.version}\n`);
    t.notOk(r.has('commander'), `${args.join(' ')}: commander not loaded`);
  }
});

t.test('a command loads commander, not cli-progress, when stderr is not a terminal', async (t) => {
  for (const args of [['health'], ['scan', 'custom', '--path', dir, '--output', 'json']]) {
    const r = run(args);
    t.equal(r.code, 1, args.join(' '));
    t.equal(r.stderr, `Cannot connect to wdavdaemon at ${socket}: no such socket (is the daemon running?)\n`);
    t.ok(r.has('commander'), 'commander loaded');
    t.notOk(r.has('cli-progress'), 'cli-progress not loaded');
  }
});

t.test('help and unknown commands still see the whole command tree', async (t) => {
  const help = run(['--help']);
  t.equal(help.code, 0);
  for (const name of ['health', 'config', 'log', 'exclusion', 'diagnostic', 'version', 'threat', 'scan', 'definitions', 'connectivity']) t.match(help.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  const typo = run(['helth']);
  t.equal(typo.code, 2);
  t.match(typo.stderr, /unknown command 'helth'\n\(Did you mean health\?\)/);
});
