// Group membership is what the kernel recorded when the caller connected (SO_PEERGROUPS), not
// what /proc/PID says when a request arrives. A member of mdatp only through a supplementary
// group connects, hands the connected socket to another process and exits; requests on that
// socket are still read-only requests of that member — and the socket's pid, gone or reused,
// decides nothing.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { TestDaemon, foreignUserEnv } from '../helpers/daemon.js';
import { memberUser } from '../helpers/users.js';

const member = memberUser();

/** A connection made by `uid` with its login groups (setpriv --init-groups), received over IPC after the connecting process exited. */
async function handedOver(socketPath: string, uid: number): Promise<net.Socket> {
  const child = spawn('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--init-groups', 'env', '-u', 'NODE_OPTIONS', process.execPath, '-e',
    'const s = require("net").connect(process.argv[1], () => process.send("socket", s, () => process.exit(0)))', socketPath], {
    env: foreignUserEnv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    child.once('message', (_m, handle) => resolve(handle as net.Socket));
    child.once('exit', (code) => reject(new Error(`the connecting process exited (${code}) without handing over its socket`)));
  });
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  return socket;
}

function request(socket: net.Socket, method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`${method} ${url} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
}

t.test('membership is fixed when the member connects, whatever happens to its pid', { skip: member.skip }, async (t) => {
  const d = await TestDaemon.start(t);
  fs.chmodSync(d.dir, 0o755);
  fs.chmodSync(path.join(d.dir, 'run'), 0o755);

  const read = await handedOver(d.socket, member.uid!);
  const r = await request(read, 'GET', '/v1/health?field=healthy');
  t.equal(r.status, 200, `a supplementary member may read after its process exited: ${r.body}`);

  const write = await handedOver(d.socket, member.uid!);
  const w = await request(write, 'POST', '/v1/scans/cancel');
  t.equal(w.status, 403, 'and may still not write');
  t.match(w.body, /lacks administrative privileges/);
});
