// A client that connects and says nothing, one that sends its request head a byte at a time,
// one that stops in the middle of its headers and one that keeps an idle keep-alive connection
// are all cut by the daemon within seconds: none of them holds a connection (and an fd) for
// long, whoever it is.
import t from 'tap';
import net from 'node:net';
import { TestDaemon } from '../helpers/daemon.js';

/** Milliseconds until the daemon closes the connection (or `cap` when it does not). */
function closedAfter(socketPath: string, behave: (s: net.Socket) => void, cap: number): Promise<number> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(socketPath, () => behave(s));
    s.resume();
    s.on('error', () => {});
    const timer = setTimeout(() => {
      s.destroy();
      resolve(cap);
    }, cap);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

t.test('silent, slow and idle clients are cut', async (t) => {
  const d = await TestDaemon.start(t);
  const CAP = 12_000;
  const head = 'GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Pad: ' + 'a'.repeat(200) + '\r\n\r\n';
  const [silent, dribble, half, idle] = await Promise.all([
    closedAfter(d.socket, () => {}, CAP),
    closedAfter(d.socket, (s) => {
      let i = 0;
      const timer = setInterval(() => (i < head.length && s.writable ? s.write(head[i++]!) : clearInterval(timer)), 400);
      s.on('close', () => clearInterval(timer));
    }, CAP),
    closedAfter(d.socket, (s) => s.write('GET /v1/health HTTP/1.1\r\nHost: loc'), CAP),
    closedAfter(d.socket, (s) => s.write('GET /v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n'), CAP),
  ]);
  t.comment(`closed after: silent ${silent} ms, dribble ${dribble} ms, half ${half} ms, idle keep-alive ${idle} ms`);
  t.ok(silent < 8000, `a silent connection is cut (${silent} ms)`);
  t.ok(dribble < 8000, `a request head sent a byte at a time is cut (${dribble} ms)`);
  t.ok(half < 8000, `a half-sent request head is cut (${half} ms)`);
  t.ok(idle < 8000, `an idle keep-alive connection is cut (${idle} ms)`);
  t.equal((await d.mdatp(['health', '--field', 'healthy'])).code, 0, 'ordinary requests are unaffected');
});
