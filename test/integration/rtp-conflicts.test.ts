// RTP: another process holding a fanotify group with permission events (the native test
// listener on its own tmpfs) is reported as `name (pid)` in conflicting_applications, with a
// warning in the log — whichever backend the daemon runs; the daemon never lists itself.
import t from 'tap';
import path from 'node:path';
import { health, put, skipFanotify, startListener, startRtpDaemon, tmpfs, watchedDir } from '../helpers/rtp.js';

for (const backend of ['fanotify', 'chokidar'] as const) {
  t.test(`a second fanotify permission listener is a conflicting application (${backend})`, { skip: skipFanotify }, async (t) => {
    const other = tmpfs(t);
    const listener = await startListener(t, { mount: other });
    const dir = backend === 'fanotify' ? tmpfs(t) : watchedDir(t);
    put(path.join(dir, 'x.txt'), 'x');
    const d = await startRtpDaemon(t, { backend, paths: [dir] });
    const h = await health(d);
    const mine = `node (${listener.pid})`;
    t.ok((h.fields.conflicting_applications as string[]).includes(mine), `listed: ${JSON.stringify(h.fields.conflicting_applications)}`);
    t.notOk((h.fields.conflicting_applications as string[]).some((a) => a.endsWith(`(${d.proc.pid})`)), 'the daemon does not list itself');
    const warn = d.logs.find((r) => r.component === 'rtp' && /conflicting applications/.test(r.msg));
    t.ok(warn && (warn.applications as string[]).includes(mine), 'warning logged with the application');
    const text = await d.mdatp(['health', '--field', 'conflicting_applications']);
    t.match(text.stdout, mine, 'mdatp health --field conflicting_applications shows it');
  });
}
