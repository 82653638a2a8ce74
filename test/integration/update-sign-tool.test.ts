// The publisher's tool (`npm run definitions:sign`): key generation, signing a directory, and
// the daemon accepting exactly what it signed.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/definitions/sign-cli.js';
import { harness, sample, tmp } from '../helpers/update-fixtures.js';

function run(args: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: main(args), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

t.test('generate a key, sign a directory, the daemon installs it', async (t) => {
  const work = tmp(t, 'wdav-publisher-');
  const keyFile = path.join(work, 'signing.pem');
  const g = run(['--generate-key', keyFile]);
  t.equal(g.code, 0, g.err);
  t.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'private key is 0600');
  t.match(fs.readFileSync(path.join(work, 'signing.pub.pem'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/u);
  t.equal(run(['--generate-key', keyFile]).code, 1, 'never overwrites a key');

  const pkg = path.join(work, 'pkg');
  fs.mkdirSync(pkg);
  const s = sample('Signed');
  fs.writeFileSync(path.join(pkg, 'company.hdb'), s.hdb);
  fs.writeFileSync(path.join(pkg, '.hidden'), 'ignored');
  const r = run(['--key', keyFile, '--dir', pkg, '--version', '3.1.4']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /signed 1 file\(s\) as version 3\.1\.4/u);
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'manifest.json'), 'utf8'));
  t.match(manifest, { format: 1, version: '3.1.4', files: [{ name: 'company.hdb', size: s.hdb.length }] });
  t.match(fs.readFileSync(path.join(pkg, 'manifest.json.sig'), 'utf8'), /^[A-Za-z0-9+/]{86}==\n$/u, 'one line of base64');

  const keys = path.join(work, 'keys');
  fs.mkdirSync(keys);
  fs.copyFileSync(path.join(work, 'signing.pub.pem'), path.join(keys, 'publisher.pem'));
  t.match(run(['--verify', pkg, '--keys', keys]).out, /package 3\.1\.4 \(1 files\) verified with .*publisher\.pem/u);

  const h = await harness(t, { update: { url: pkg, trustedKeyDirs: [keys] } });
  t.same(await h.service.update(), { updated: true, version: '3.1.4', generation: 1 });
  t.equal(await h.scan(s.data), s.name);
});

t.test('bad input: clear one-line errors, exit 1', async (t) => {
  const work = tmp(t, 'wdav-publisher-');
  t.match(run([]).err, /--key and --dir are required/u);
  const pkg = tmp(t, 'wdav-pkg-');
  fs.writeFileSync(path.join(pkg, 'notes.txt'), 'x');
  run(['--generate-key', path.join(work, 'k.pem')]);
  const bad = run(['--key', path.join(work, 'k.pem'), '--dir', pkg]);
  t.equal(bad.code, 1);
  t.match(bad.err, /notes\.txt: does not have a definitions extension/u);
  t.match(run(['--key', path.join(work, 'k.pem'), '--dir', work]).err, /k\.pem: does not have a definitions extension/u, 'a key in the package directory is never published');
  t.match(run(['--key', path.join(work, 'k.pub.pem'), '--dir', pkg]).err, /not a PEM private key/u);
  t.match(run(['--key', path.join(work, 'k.pem'), '--dir', pkg, '--version', 'has space']).err, /version 'has space' must be/u);
});

const built = path.resolve('dist/definitions/sign-cli.js');
t.test('npm run definitions:sign runs the compiled tool', { skip: fs.existsSync(built) ? false : 'dist/ not built (npm run build:ts)' }, async (t) => {
  const work = tmp(t, 'wdav-publisher-');
  const r = spawnSync('npm', ['run', '--silent', 'definitions:sign', '--', '--generate-key', path.join(work, 'npm.pem')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.ok(fs.existsSync(path.join(work, 'npm.pub.pem')));
});
