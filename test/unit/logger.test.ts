import t from 'tap';
import { LoggerFactory, RateLimitedLog } from '../../src/shared/logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

t.test('syslog priority prefixes for journald', async (t) => {
  const c = capture();
  const f = new LoggerFactory({ level: 'debug', priorityPrefix: true, destination: c.destination });
  const l = f.child('test');
  l.error('e');
  l.warn('w');
  l.info('i');
  l.verbose('v');
  l.debug('d');
  t.same(c.lines.map((s) => s.slice(0, 3)), ['<3>', '<4>', '<6>', '<7>', '<7>']);
  t.equal(JSON.parse(c.lines[0]!.slice(3)).component, 'test');
});

t.test('level changes at runtime for every child', async (t) => {
  const c = capture();
  const f = new LoggerFactory({ level: 'info', priorityPrefix: false, destination: c.destination });
  const a = f.child('a');
  a.debug('hidden');
  f.setLevel('debug');
  const b = f.child('b');
  a.debug('shown-a');
  b.debug('shown-b');
  f.setLevel('warning');
  a.info('hidden-again');
  a.warn('warned');
  t.same(c.lines.map((l) => JSON.parse(l).msg), ['shown-a', 'shown-b', 'warned']);
});

t.test('repeated errors are rate-limited with a dropped count', async (t) => {
  const c = capture();
  const f = new LoggerFactory({ level: 'info', priorityPrefix: false, destination: c.destination });
  const l = f.child('x');
  const rl = new RateLimitedLog(30);
  for (let i = 0; i < 100; i++) rl.log(l, 'error', 'k', { i }, 'boom');
  t.equal(c.lines.length, 1, 'first one logged, the rest held back');
  await new Promise((r) => setTimeout(r, 40));
  rl.log(l, 'error', 'k', {}, 'boom');
  t.equal(c.lines.length, 2);
  t.equal(JSON.parse(c.lines[1]!).dropped, 99, 'says how many were dropped');
});
