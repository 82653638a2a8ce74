// answerEmpty: an open of an empty regular file (a file being created, a lock file, an empty
// __init__.py) is allowed by the reader thread itself with an ignore mark — JS never sees it;
// once the file has content, its opens reach JS again and a bad one is denied.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, until } from './fanotify-harness.js';

t.test('empty files are answered natively, content goes to JS', { skip }, async (t) => {
  const dir = tmpfs(t);
  const empty = put(path.join(dir, 'empty.txt'), '', 0o666);
  const l = await startListener(t, { mount: dir, ignoreMark: true, answerEmpty: true });

  t.ok((await openAs(empty)).ok, 'empty file opens');
  let s = await l.stats();
  t.same([s.events.open, s.answeredNatively.empty, s.ignoreMarks.added], [1, 1, 1], 'answered by the reader with a mark');
  t.equal(l.events.length, 0, 'JS saw no event');
  t.ok((await openAs(empty)).ok);
  t.equal((await l.stats()).events.open, 1, 'the mark silences the next open');

  const created = path.join(dir, 'new.txt');
  t.ok((await openAs(created, { mode: 'write', data: 'WDAV-TEST-BAD' })).ok, 'a new file is created and written');
  await until(() => l.events.some((e) => e.kind === 'close_write'));
  s = await l.stats();
  t.equal(s.answeredNatively.empty, 2, 'its O_CREAT open (empty then) was answered natively');
  t.notOk(l.events.some((e) => e.kind === 'open'), 'no open reached JS so far');
  const r = await openAs(created);
  t.same([r.ok, r.code], [false, 'EPERM'], 'once written, its open is scanned by JS and denied');
});

t.test('without answerEmpty an empty file goes to JS', { skip }, async (t) => {
  const dir = tmpfs(t);
  const empty = put(path.join(dir, 'empty.txt'), '', 0o666);
  const l = await startListener(t, { mount: dir });
  t.ok((await openAs(empty)).ok);
  const s = await l.stats();
  t.same([s.events.open, s.answeredNatively.empty, s.answeredByJs.allow], [1, 0, 1]);
  t.equal(l.events.filter((e) => e.kind === 'open').length, 1);
});
