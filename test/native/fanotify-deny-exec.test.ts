// FAN_OPEN_EXEC_PERM: a script the policy refuses to run cannot be executed (EPERM) although it
// can still be read; a clean script runs. The listener sees 'exec' events, then 'open'.
import t from 'tap';
import path from 'node:path';
import { skip, tmpfs, put, startListener, openAs, execAs } from './fanotify-harness.js';

t.test('deny on exec → execve fails with EPERM', { skip }, async (t) => {
  const dir = tmpfs(t);
  const noexec = put(path.join(dir, 'noexec.sh'), '#!/bin/sh\n# WDAV-TEST-NOEXEC\necho ran\n', 0o755);
  const clean = put(path.join(dir, 'clean.sh'), '#!/bin/sh\necho ran\n', 0o755);
  const l = await startListener(t, { mount: dir });

  const refused = await execAs(noexec);
  t.same([refused.ok, refused.code], [false, 'EPERM'], 'exec refused');
  const read = await openAs(noexec);
  t.ok(read.ok, 'the same file can still be opened for reading');
  const ran = await execAs(clean);
  t.same([ran.ok, ran.stdout], [true, 'ran\n'], 'clean script runs');

  const s = await l.stats();
  t.equal(s.events.exec, 2, 'one exec event per execve');
  t.equal(s.answeredByJs.deny, 1);
  const kinds = l.events.map((e) => `${path.basename(e.path)}:${e.kind}:${e.verdict}`);
  t.ok(kinds.includes('noexec.sh:exec:deny'));
  t.ok(kinds.includes('clean.sh:exec:allow') && kinds.includes('clean.sh:open:allow'), 'exec then open for a clean script');
});
