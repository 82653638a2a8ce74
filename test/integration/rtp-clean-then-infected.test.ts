// fanotify RTP: a clean file is allowed and cached in the kernel (ignore mark: a second open
// causes no event at all); a writer then replaces its content with EICAR and keeps the file
// open — the write cleared the mark, so the next open is scanned again and denied.
import t from 'tap';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { eicar, health, openAs, put, skipFanotify, startRtpDaemon, tmpfs, until, NOBODY } from '../helpers/rtp.js';

const HOLDER = `
const fs = require('fs');
const fd = fs.openSync(process.argv[1], 'r+');
fs.ftruncateSync(fd, 0);
fs.writeSync(fd, Buffer.from(process.argv[2], 'base64'), 0, undefined, 0);
process.stdout.write('written\\n');
process.stdin.on('end', () => { fs.closeSync(fd); process.exit(0); });
process.stdin.resume();`;

t.test('clean → allowed and cached; modified to EICAR → next open denied', { skip: skipFanotify }, async (t) => {
  const dir = tmpfs(t);
  const file = put(path.join(dir, 'doc.txt'), 'clean content', 0o666);
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const native = async () => (await health(d)).features.real_time_protection_native;

  t.match(await openAs(file), { ok: true, data: 'clean content' }, 'first open allowed');
  const n1 = await native();
  t.ok(n1.ignoreMarks.added >= 1, 'clean verdict cached in the kernel (ignore mark added)');
  t.match(await openAs(file), { ok: true }, 'second open allowed');
  const n2 = await native();
  t.equal(n2.events.open, n1.events.open, 'the second open caused no fanotify event');

  const w = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', HOLDER, file, eicar().toString('base64')], { uid: NOBODY, gid: NOBODY, stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => w.kill('SIGKILL'));
  let out = '';
  w.stdout!.on('data', (c) => (out += c));
  t.ok(await until(() => out.includes('written'), 10000), 'writer replaced the content and holds the file open');

  const r = await openAs(file);
  t.match(r, { ok: false, code: 'EPERM' }, 'open of the modified file is denied');
  const n3 = await native();
  t.ok(n3.events.open > n2.events.open, 'the write cleared the ignore mark: the open was an event again');
  w.stdin!.end();
});
