// The shutdown's last resort (native armExitWatchdog): once armed, the process ends with the
// given status after the delay even while its JavaScript thread is blocked for good — what the
// daemon relies on should a shutdown hang where no JS timer can fire.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers/daemon.js';

t.test('armExitWatchdog ends a process whose JS thread never returns', async (t) => {
  const addon = path.join(ROOT, 'build', 'Release', 'wdav.node');
  const js = `const n = require(${JSON.stringify(addon)}); n.armExitWatchdog(300, 7); const end = Date.now() + 20000; while (Date.now() < end) {}`;
  const t0 = Date.now();
  const p = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', js], { stdio: 'ignore', timeout: 15000, killSignal: 'SIGKILL' });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => p.on('exit', (c, s) => r([c, s])));
  t.equal(signal, null, 'not killed by the test');
  t.equal(code, 7, 'exited with the armed status');
  t.ok(Date.now() - t0 < 10_000, `after the delay, not the 20 s busy loop (${Date.now() - t0} ms)`);
});
