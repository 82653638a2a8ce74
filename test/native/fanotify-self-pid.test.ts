// Events caused by the listener's own process are allowed by the reader thread without
// reaching JS — otherwise the daemon reading a file would wait on itself.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs } from './fanotify-harness.js';

t.test('own pid: allowed natively, never delivered', { skip }, async (t) => {
  const dir = tmpfs(t);
  const bad = put(path.join(dir, 'bad.txt'), 'WDAV-TEST-BAD');
  const l = await startListener(t, { mount: dir });

  const content = await l.request<string>('open', { path: bad });
  t.equal(content, 'WDAV-TEST-BAD', 'the listener opened a file its own policy would deny');
  let s = await l.stats();
  t.equal(s.answeredNatively.self, 1);
  t.equal(l.events.length, 0, 'JS saw no event');

  const other = await openAs(bad);
  t.equal(other.code, 'EPERM', 'another process is still denied');
  s = await l.stats();
  t.equal(s.answeredNatively.self, 1);
  t.equal(l.events.length, 1);
});
