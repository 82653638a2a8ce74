// systemd notification: a real AF_UNIX datagram receiver (a python3 helper, since Node has no
// Unix datagram sockets) sees READY=1 only after the daemon is up, then STOPPING=1; WATCHDOG=1
// arrives while WATCHDOG_USEC is set. Abstract socket names work too.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';

const RECEIVER = `
import socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(('\\0' + name[1:]) if name.startswith('@') else name)
print('BOUND', flush=True)
while True:
    data = s.recv(65536)
    print(repr(data.decode()), flush=True)
`;

function receiver(t: { teardown(fn: () => void): void }, name: string): Promise<{ proc: ChildProcess; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('python3', ['-c', RECEIVER, name], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.teardown(() => {
      proc.kill('SIGKILL');
    });
    const messages: string[] = [];
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'BOUND') resolve({ proc, messages });
        else messages.push(line);
      }
    });
    proc.on('error', reject);
  });
}

const hasPython = (() => {
  try {
    return spawn('python3', ['-c', 'pass']).pid !== undefined;
  } catch {
    return false;
  }
})();

for (const abstract of [false, true]) {
  t.test(`READY=1 then STOPPING=1 on ${abstract ? 'an abstract' : 'a path'} socket`, { skip: hasPython ? false : 'python3 is needed for the datagram receiver' }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-notify-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const name = abstract ? `@wdav-test-notify-${process.pid}-${Date.now()}` : path.join(dir, 'notify.sock');
    const r = await receiver(t, name);
    const d = await TestDaemon.start(t, { env: { NOTIFY_SOCKET: name, WATCHDOG_USEC: '400000' } });
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((res) => setTimeout(res, 25));
    };
    await until(() => r.messages.some((m) => m.includes('READY=1')));
    const readyIdx = r.messages.findIndex((m) => m.includes('READY=1'));
    t.ok(readyIdx >= 0, 'READY=1 received');
    t.ok(r.messages.slice(0, readyIdx).some((m) => m.includes('STATUS=Starting')), 'STATUS lines during startup, before READY');
    t.match(r.messages[readyIdx], /MAINPID=\d+/);
    // the API answers by the time READY=1 is sent
    t.equal((await d.api('GET', '/v1/health')).status, 200);
    await until(() => r.messages.some((m) => m.includes('WATCHDOG=1')));
    t.ok(r.messages.some((m) => m.includes('WATCHDOG=1')), 'watchdog pings while the queue is idle');
    await d.stop();
    t.equal(d.exitCode, 0, 'exit 0 on SIGTERM');
    await until(() => r.messages.some((m) => m.includes('STOPPING=1')));
    const stopIdx = r.messages.findIndex((m) => m.includes('STOPPING=1'));
    t.ok(stopIdx > readyIdx, 'STOPPING=1 after READY=1');
  });
}
