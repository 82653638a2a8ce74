// Kernel clean cache: after an allow with ignoreMark, repeated opens of the unchanged file
// produce no events at all; a write clears the mark, events come back and a deny works.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, execAs, until } from './fanotify-harness.js';

t.test('ignore mark: silent while clean, back after a write', { skip }, async (t) => {
  const dir = tmpfs(t);
  const file = put(path.join(dir, 'doc.txt'), 'clean content', 0o666);
  const l = await startListener(t, { mount: dir, ignoreMark: true });

  t.ok((await openAs(file)).ok, 'first open allowed by JS');
  let s = await l.stats();
  t.equal(s.events.open, 1);
  t.equal(s.ignoreMarks.added, 1, 'ignore mark added on the clean inode');
  for (let i = 0; i < 3; i++) t.ok((await openAs(file)).ok, `repeat open ${i + 1} allowed`);
  s = await l.stats();
  t.equal(s.events.open, 1, 'repeated opens generate no events');

  const w = await openAs(file, { mode: 'append', data: ' WDAV-TEST-BAD' });
  t.ok(w.ok, 'another user appends to the file');
  await until(async () => (await l.stats()).events.closeWrite >= 1);
  const after = await openAs(file);
  t.same([after.ok, after.code], [false, 'EPERM'], 'modified file is scanned again and denied');
  s = await l.stats();
  t.equal(s.events.open, 2, 'the write brought the events back');
  t.equal(s.answeredByJs.deny, 1);
});

t.test('ignore mark covers exec, and is in place before the answer', { skip }, async (t) => {
  const dir = tmpfs(t);
  const script = put(path.join(dir, 'tool.sh'), '#!/bin/sh\necho ran\n', 0o755);
  const l = await startListener(t, { mount: dir, ignoreMark: true });
  t.same(await execAs(script), { ok: true, stdout: 'ran\n' });
  let s = await l.stats();
  // execve raises OPEN_EXEC_PERM, then OPEN_PERM once that is answered: the mark added with
  // the first verdict already silences the second.
  t.same([s.events.exec, s.events.open], [1, 0], 'one event for the first exec');
  t.same(await execAs(script), { ok: true, stdout: 'ran\n' });
  s = await l.stats();
  t.same([s.events.exec, s.events.open], [1, 0], 'none for the second');
});
