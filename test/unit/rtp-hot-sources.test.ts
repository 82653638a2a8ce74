// Hot event sources: counts per file and per executable over a window of time buckets, with
// distinct pids, permission vs notification events, and a bound per bucket (overflow counted
// as untracked). Time is injected.
import t from 'tap';
import { HotSources } from '../../src/rtp/hot-sources.js';

t.test('counting, window and bounds', async (t) => {
  let now = 1_000_000;
  const h = new HotSources(3, () => now);
  for (let i = 0; i < 5; i++) h.record('/a', '/usr/bin/cat', 10 + (i % 2), true);
  h.record('/b', '/usr/bin/cat', 10, false);
  h.record('/c', null, 12, true);
  h.record('/d', null, 12, true);  // fourth distinct path in this bucket: untracked
  let r = h.report('files', 60, 10);
  t.equal(r.totalEvent, 8);
  t.equal(r.untracked, 1);
  t.same(r.eventSource[0], { path: '/a', authCount: 5, notifyCount: 0, pidCount: 2 });
  t.same(r.eventSource.map((e) => e.path), ['/a', '/b', '/c']);
  t.same(h.report('executables', 60, 10).eventSource, [{ path: '/usr/bin/cat', authCount: 5, notifyCount: 1, pidCount: 2 }]);
  t.equal(h.report('files', 60, 1).eventSource.length, 1, 'top');

  now += 20_000;
  h.record('/z', null, 1, true);
  r = h.report('files', 10, 10);
  t.same(r.eventSource.map((e) => e.path), ['/z'], 'a 10 s window sees only the recent bucket');
  t.equal(h.report('files', 60, 10).eventSource.length, 4, 'the minute sees both');
  now += 120_000;
  h.record('/y', null, 1, true);
  t.same(h.report('files', 60, 10).eventSource.map((e) => e.path), ['/y'], 'old buckets expire');
  t.equal(HotSources.maxSeconds, 60);
});
