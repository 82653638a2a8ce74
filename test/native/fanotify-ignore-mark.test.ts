// Kernel clean cache: after an allow with ignoreMark, repeated opens of the unchanged file
// produce no events at all; a write clears the mark, events come back and a deny works.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, until } from './fanotify-harness.js';

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
