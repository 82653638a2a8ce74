// Process identity for RTP: comm parsed from /proc/PID/stat even with spaces and parentheses,
// cached per pid, and a reused pid (new start time) never keeps the old identity — a strict
// lookup re-reads /proc every time. Uses a /proc-shaped directory.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessInfoCache, parseStat } from '../../src/rtp/process-info.js';

const stat = (pid: number, comm: string, start: number) =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 1000 100 18446744073709551615\n`;

t.test('parseStat', async (t) => {
  t.same(parseStat(stat(7, 'cat', 555)), { name: 'cat', startTime: 555 });
  t.same(parseStat(stat(7, 'a) b (c', 9)), { name: 'a) b (c', startTime: 9 }, 'comm ends at the last parenthesis');
  t.equal(parseStat('garbage'), null);
});

t.test('cache, pid reuse, strict lookups', async (t) => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-proc-'));
  t.teardown(() => fs.rmSync(proc, { recursive: true, force: true }));
  fs.mkdirSync(path.join(proc, '42'));
  fs.writeFileSync(path.join(proc, '42', 'stat'), stat(42, 'tail', 1000));
  fs.symlinkSync('/usr/bin/tail', path.join(proc, '42', 'exe'));
  fs.writeFileSync(path.join(proc, '42', 'status'), 'Name:\ttail\nUid:\t65534\t65534\t65534\t65534\n');
  const c = new ProcessInfoCache(16, 60_000, proc);
  t.match(c.lookup(42), { pid: 42, name: 'tail', exe: '/usr/bin/tail', startTime: 1000 });
  t.equal(c.uid(42), 65534);
  const reads = c.reads;
  c.lookup(42);
  t.equal(c.reads, reads, 'fresh entry served from the cache');
  c.lookup(42, true);
  t.equal(c.reads, reads + 1, 'strict lookup re-reads the start time');

  // The pid is reused by another program.
  fs.writeFileSync(path.join(proc, '42', 'stat'), stat(42, 'evil', 2000));
  fs.rmSync(path.join(proc, '42', 'exe'));
  fs.symlinkSync('/tmp/evil', path.join(proc, '42', 'exe'));
  t.match(c.lookup(42, true), { name: 'evil', exe: '/tmp/evil', startTime: 2000 }, 'new start time → new identity');

  fs.rmSync(path.join(proc, '42'), { recursive: true });
  t.match(c.lookup(42, true), { name: null, exe: null, startTime: 0 }, 'gone: nothing to trust');
  t.equal(c.uid(42), undefined);
});
