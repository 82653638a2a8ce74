// `mdatp ... | head` closes the pipe before mdatp has written everything: mdatp then ends
// quietly with status 0, like git log or ls, instead of dying with an EPIPE stack trace.
import t from 'tap';
import { spawn } from 'node:child_process';
import { MDATP_BIN, TestDaemon, foreignNode } from '../helpers/daemon.js';

t.test('stdout closed by the reader: quiet exit 0, no stack trace', async (t) => {
  const d = await TestDaemon.start(t);
  for (const args of [['threat', 'list', '--output', 'json'], ['health'], ['health', '--details', 'features', '--output', 'json']]) {
    // The read end of mdatp's stdout is closed before it writes anything: every write is EPIPE.
    const r = await new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
      const [cmd, argv] = foreignNode([MDATP_BIN, '--socket', d.socket, ...args]);
      const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.destroy();
      let stderr = '';
      p.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      p.on('close', (code, signal) => resolve({ code, signal, stderr }));
    });
    t.same({ code: r.code, signal: r.signal, stderr: r.stderr }, { code: 0, signal: null, stderr: '' }, `mdatp ${args.join(' ')}`);
  }
});
