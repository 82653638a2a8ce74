// The trust rule (src/shared/trust.ts, ARCHITECTURE §3.9), case by case on real files: owner
// root or the daemon's uid; the target and a file's own directory not writable by group or
// others; directories above writable by others only when sticky; links followed and their
// targets checked; and the bounded reader: no last link, no FIFO or device, owner and mode
// checked on the fd, at most cap + 1 bytes.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { checkTrusted, readTrusted, trustedUids } from '../../src/shared/trust.js';
import { otherUid, skipOther } from '../helpers/trust.js';

function tmp(t: Tap.Test, mode = 0o755): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-trust-unit-'));
  fs.chmodSync(d, mode);
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function problemOf(p: string, kind: 'file' | 'dir', uids?: number[]): { path: string; problem: string; fix: string } | 'ok' | 'missing' {
  const r = checkTrusted(p, kind, uids);
  return r.ok ? 'ok' : r.missing ? 'missing' : r.problem;
}

t.test('directories: the target strictly, those above unless sticky', async (t) => {
  const d = tmp(t);
  const sub = path.join(d, 'state');
  fs.mkdirSync(sub, { mode: 0o700 });
  t.equal(problemOf(sub, 'dir'), 'ok', 'a private directory under /tmp');
  fs.chmodSync(sub, 0o770);
  t.match(problemOf(sub, 'dir'), { path: sub, problem: /writable by group \(mode 0770\)/, fix: `chmod go-w ${sub}` }, 'group-writable target');
  fs.chmodSync(sub, 0o1777);
  t.match(problemOf(sub, 'dir'), { path: sub, problem: /writable by group and others/ }, 'sticky does not excuse the target');
  fs.chmodSync(sub, 0o700);
  fs.chmodSync(d, 0o777);
  t.match(problemOf(sub, 'dir'), { path: d, problem: /writable by group and others and not sticky/, fix: `chmod go-w ${d}` }, 'a world-writable parent');
  fs.chmodSync(d, 0o775);
  t.match(problemOf(sub, 'dir'), { path: d, problem: /writable by group and not sticky/ }, 'a group-writable parent, as sshd');
  fs.chmodSync(d, 0o1777);
  t.equal(problemOf(sub, 'dir'), 'ok', 'a sticky parent, as /tmp');
  fs.chmodSync(d, 0o755);
  t.equal(problemOf(path.join(d, 'nope', 'deeper'), 'dir'), 'missing');
  fs.writeFileSync(path.join(d, 'f'), '');
  t.match(problemOf(path.join(d, 'f', 'x'), 'dir'), { problem: /regular file, not a directory/ });
});

t.test('files: type, mode, and their own directory', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'conf.json');
  fs.writeFileSync(f, '{}', { mode: 0o644 });
  t.equal(problemOf(f, 'file'), 'ok');
  fs.chmodSync(f, 0o666);
  t.match(problemOf(f, 'file'), { path: f, problem: /writable by group and others \(mode 0666\)/ });
  fs.chmodSync(f, 0o644);
  fs.chmodSync(d, 0o1777);
  t.match(problemOf(f, 'file'), { path: d, problem: /writable by group and others/ }, "a file's own directory is held to the strict rule");
  fs.chmodSync(d, 0o755);
  fs.mkdirSync(path.join(d, 'sub'));
  t.match(problemOf(path.join(d, 'sub'), 'file'), { problem: /directory, not a regular file/ });
});

t.test('links are followed and their targets checked', async (t) => {
  const d = tmp(t);
  const open = path.join(d, 'open');
  fs.mkdirSync(path.join(open, 'real'), { recursive: true });
  fs.chmodSync(open, 0o777);
  fs.writeFileSync(path.join(open, 'real', 'f'), 'x', { mode: 0o644 });
  const good = path.join(d, 'good');
  fs.mkdirSync(good, { mode: 0o755 });
  fs.writeFileSync(path.join(good, 'f'), 'x', { mode: 0o644 });
  fs.symlinkSync(good, path.join(d, 'to-good'));
  fs.symlinkSync(path.join(open, 'real'), path.join(d, 'to-open'));
  fs.symlinkSync('../good/f', path.join(d, 'good', 'rel'));
  t.match(checkTrusted(path.join(d, 'to-good', 'f'), 'file'), { ok: true, real: path.join(good, 'f') });
  t.match(checkTrusted(path.join(d, 'good', 'rel'), 'file'), { ok: true, real: path.join(good, 'f') }, 'a relative link');
  t.match(problemOf(path.join(d, 'to-open', 'f'), 'file'), { path: open, problem: /not sticky/ }, 'the target of a link is checked on its own way');
  fs.symlinkSync('loop', path.join(d, 'loop'));
  t.match(problemOf(path.join(d, 'loop'), 'file'), { problem: /too many levels/ });
});

t.test('owners: root or the daemon user', { skip: skipOther }, async (t) => {
  const d = tmp(t);
  const mine = path.join(d, 'mine');
  fs.mkdirSync(mine, { mode: 0o700 });
  fs.chownSync(mine, otherUid!, otherUid!);
  t.same(trustedUids(), [0], 'a root daemon trusts root only');
  t.match(problemOf(mine, 'dir'), { path: mine, problem: new RegExp(`owned by uid ${otherUid}, not by root`), fix: `chown root ${mine}` });
  t.equal(problemOf(mine, 'dir', [0, otherUid!]), 'ok', "a daemon run by that user trusts its own uid");
  const inner = path.join(mine, 'inner');
  fs.mkdirSync(inner, { mode: 0o700 });
  t.match(problemOf(inner, 'dir'), { path: mine, problem: /owned by uid/ }, 'a directory above owned by someone else');
});

t.test('the bounded reader', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'f');
  fs.writeFileSync(f, 'x'.repeat(100), { mode: 0o644 });
  t.equal(readTrusted(f, 100).length, 100, 'exactly the cap is read');
  t.throws(() => readTrusted(f, 99), { code: 'WDAV_ERR_FILE_TOO_LARGE' }, 'one byte more is refused');
  fs.writeFileSync(path.join(d, 'big'), Buffer.alloc(3 << 20), { mode: 0o644 });
  t.equal(readTrusted(path.join(d, 'big'), 4 << 20).length, 3 << 20, 'a file larger than the first buffer');
  fs.chmodSync(f, 0o646);
  t.throws(() => readTrusted(f, 1000), { code: 'WDAV_ERR_UNTRUSTED_PATH', message: /writable by others \(mode 0646\).*chmod go-w/ });
  fs.chmodSync(f, 0o644);
  fs.symlinkSync(f, path.join(d, 'link'));
  t.throws(() => readTrusted(path.join(d, 'link'), 1000), { code: 'WDAV_ERR_UNTRUSTED_PATH', message: /is a symbolic link/ }, 'a last link is not followed');
  fs.symlinkSync('/dev/zero', path.join(d, 'zero'));
  t.throws(() => readTrusted(path.join(d, 'zero'), 1000), { message: /is a symbolic link/ });
  t.throws(() => readTrusted('/dev/zero', 1000), { message: /is a device, not a regular file/ }, 'a device, named directly');
  execFileSync('mkfifo', [path.join(d, 'fifo')]);
  t.throws(() => readTrusted(path.join(d, 'fifo'), 1000), { message: /is a FIFO, not a regular file/ }, 'a FIFO, without blocking');
  t.throws(() => readTrusted(path.join(d, 'absent'), 1000), { code: 'ENOENT' });
  t.throws(() => readTrusted(path.join(d, 'no', 'absent'), 1000), { code: 'ENOENT' });
  fs.chmodSync(d, 0o777);
  t.throws(() => readTrusted(f, 1000), { message: new RegExp(`^${d} \\(on the way to ${f}\\) is writable`) }, 'its directory is checked');
});
