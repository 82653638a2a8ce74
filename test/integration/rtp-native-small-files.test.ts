// fanotify RTP, native verdicts for small files (issue #12): a file small enough to be the EICAR
// test file is checked for it in native code (the built-in definition: the 68-byte string at
// offset 0, then only whitespace, at most 128 bytes), so clean small files — a tree being
// written is full of them — are allowed and marked without JavaScript; the EICAR file itself,
// with trailing whitespace too, still goes to JavaScript and is blocked and named, and a file
// that merely starts with the string followed by other bytes is clean (as ClamAV and the
// JavaScript check say).
import t from 'tap';
import path from 'node:path';
import { eicarBytes } from '../../src/definitions/eicar.js';
import { health, openAs, put, skipFanotify, startRtpDaemon, tmpfs, threats } from '../helpers/rtp.js';

t.test('small files: clean ones decided natively, EICAR still blocked', { skip: skipFanotify, timeout: 60_000 }, async (t) => {
  const dir = tmpfs(t);
  const small = Array.from({ length: 5 }, (_, i) => put(path.join(dir, `small${i}.js`), `module.exports = ${i};\n`));
  const eicar = put(path.join(dir, 'eicar.com'), Buffer.concat([eicarBytes(), Buffer.from(' \r\n\t\x1a')]));
  const notEicar = put(path.join(dir, 'not-eicar.txt'), Buffer.concat([eicarBytes(), Buffer.from('and more')]));
  const d = await startRtpDaemon(t, { backend: 'fanotify', paths: [dir] });
  const native = async () => (await health(d)).features.real_time_protection_native;

  for (const f of small) t.match(await openAs(f), { ok: true }, `${path.basename(f)} opens`);
  t.match(await openAs(notEicar), { ok: true }, 'the string followed by other bytes is not the EICAR file');
  const n1 = await native();
  t.equal(n1.nativeVerdicts.clean, small.length + 1, 'all of them allowed natively');
  t.equal(n1.nativeVerdicts.toJs, 0, 'none handed to JavaScript');
  t.equal((await health(d)).features.real_time_protection_counters.scanned, 0, 'JavaScript scanned none');

  t.match(await openAs(eicar), { ok: false, code: 'EPERM' }, 'EICAR with trailing whitespace is blocked');
  t.equal((await native()).nativeVerdicts.toJs, 1, 'decided in JavaScript, which names it');
  const rows = await threats(d);
  t.ok(rows.some((r) => r.path === eicar && /EICAR/i.test(r.name)), 'recorded as the EICAR test file');
});
