// Many openers waiting at once: the allows go through the responder thread (respond() returns
// before the kernel write), every event is still answered exactly once with its ignore mark,
// and closing the group in the same turn as the answers — allows still queued — leaves no
// opener blocked and writes nothing after the close.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { skip, tmpfs, put, startListener, until, NOBODY } from './fanotify-harness.js';
import type { FanotifyStats } from '../../src/rtp/fanotify/native.js';

const N = 24;

/** `cat file` as nobody; resolves with its exit code (killed after 20 s). */
function cat(file: string): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn('cat', [file], { uid: NOBODY, gid: NOBODY, stdio: 'ignore', timeout: 20000, killSignal: 'SIGKILL' });
    p.on('close', (code) => resolve(code));
  });
}

type T = { teardown(fn: () => unknown): void };

async function heldOpeners(t: T, thenClose: boolean): Promise<{ answered: boolean[]; codes: (number | null)[]; stats: FanotifyStats }> {
  const dir = tmpfs(t);
  const files = Array.from({ length: N }, (_, i) => put(path.join(dir, `f${i}.txt`), `clean ${i}`));
  const l = await startListener(t, { mount: dir, timeoutMs: 60000 });
  await l.request('hold', { on: true });
  const done = Promise.all(files.map(cat));
  await until(() => l.events.filter((e) => e.verdict === 'held').length === N, 15000);
  const answered = await l.request<boolean[]>('release', { thenClose });
  return { answered, codes: await done, stats: await l.stats() };
}

t.test('held openers released together', { skip }, async (t) => {
  const { answered, codes, stats } = await heldOpeners(t, false);
  t.same(answered, Array(N).fill(true), 'every respond() took its event');
  t.same(codes, Array(N).fill(0), 'every open completed');
  t.equal(stats.answeredByJs.allow, N);
  t.ok(stats.responder.async > 0, `the responder thread wrote ${stats.responder.async} of them`);
  t.equal(stats.responder.async + stats.responder.sync, N, 'each answer written once, by one side');
  t.equal(stats.reader.responseErrors, 0, 'the kernel accepted every answer (none twice, none unknown)');
  t.equal(stats.ignoreMarks.added, N, 'each with its ignore mark');
  t.same([stats.pending.depth, stats.responder.depth], [0, 0]);
});

t.test('closed in the same turn as the answers', { skip }, async (t) => {
  const { answered, codes, stats } = await heldOpeners(t, true);
  t.same(answered, Array(N).fill(true), 'every respond() took its event');
  t.same(codes, Array(N).fill(0), 'no opener left blocked');
  t.equal(stats.reader.responseErrors, 0, 'nothing written on a closed group');
  t.same([stats.pending.depth, stats.responder.depth, stats.answeredNatively.closed], [0, 0, 0], 'the queue was drained by the responder');
});
