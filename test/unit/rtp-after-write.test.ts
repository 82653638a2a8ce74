// The after-write scheduler: at most `concurrency` jobs at once, repeated writes of one inode
// coalesce (one waiting job; a write during a scan means exactly one more scan afterwards),
// beyond capacity jobs are dropped and counted, and every fd is closed exactly once.
import t from 'tap';
import fs from 'node:fs';
import { AfterWriteScheduler, type WriteJob } from '../../src/rtp/after-write.js';

const openFd = () => fs.openSync('/dev/null', 'r');
const isOpen = (fd: number) => {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};
const job = (key: string): WriteJob => ({ key, fd: openFd(), path: Buffer.from(`/x/${key}`), pid: 1 });

t.test('coalescing, re-run after a write during the scan, fds closed', async (t) => {
  const gates: (() => void)[] = [];
  const seen: string[] = [];
  const s = new AfterWriteScheduler(async (j) => {
    seen.push(`${j.key}:${j.fd}`);
    await new Promise<void>((r) => gates.push(r));
  }, 10, 1);
  const a1 = job('a');
  s.submit(a1);
  t.equal(s.stats().running, 1, 'a starts at once');
  const b1 = job('b');
  const b2 = job('b');
  s.submit(b1);
  s.submit(b2);
  t.notOk(isOpen(b1.fd!), 'the older waiting job of b was closed');
  t.match(s.stats(), { waiting: 1, coalesced: 1 });
  const a2 = job('a');
  const a3 = job('a');
  s.submit(a2);
  s.submit(a3);
  t.notOk(isOpen(a2.fd!), 'a write during the scan keeps only the newest follow-up');
  gates.shift()!();
  await new Promise((r) => setImmediate(r));
  t.notOk(isOpen(a1.fd!), 'finished job closed');
  while (gates.length || s.stats().running) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await s.idle();
  t.same(seen, [`a:${a1.fd}`, `b:${b2.fd}`, `a:${a3.fd}`], 'a, then b (newest), then a again');
  for (const j of [a3, b2]) t.notOk(isOpen(j.fd!), 'all closed');
  t.match(s.stats(), { completed: 3, waiting: 0, running: 0 });
});

t.test('capacity: dropped and closed; stop closes waiting jobs', async (t) => {
  const s = new AfterWriteScheduler(() => new Promise(() => {}), 2, 1);
  const jobs = ['a', 'b', 'c', 'd'].map(job);
  for (const j of jobs) s.submit(j);
  t.match(s.stats(), { running: 1, waiting: 2, dropped: 1 });
  t.notOk(isOpen(jobs[3]!.fd!), 'dropped job closed');
  s.stop();
  t.notOk(isOpen(jobs[1]!.fd!));
  t.notOk(isOpen(jobs[2]!.fd!));
  const late = job('e');
  s.submit(late);
  t.notOk(isOpen(late.fd!), 'after stop, submissions are closed at once');
  fs.closeSync(jobs[0]!.fd!);
});

t.test('a failing handler is counted and reported', async (t) => {
  const errors: unknown[] = [];
  const s = new AfterWriteScheduler(async () => {
    throw new Error('boom');
  }, 4, 2, (_j, e) => errors.push(e));
  const j = job('x');
  s.submit(j);
  await s.idle();
  t.match(s.stats(), { failed: 1 });
  t.equal(errors.length, 1);
  t.notOk(isOpen(j.fd!));
});
