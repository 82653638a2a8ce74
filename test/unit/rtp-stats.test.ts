// Per-process RTP statistics in MDE's shape: counts and scan time per pid + start time (a
// reused pid is a new row), --sort by files scanned, --top N, status from the liveness check,
// bounded.
import t from 'tap';
import { ProcessStats } from '../../src/rtp/stats.js';

t.test('rows, sort, top, status, bound', async (t) => {
  const s = new ProcessStats(3);
  const cat = { pid: 10, name: 'cat', exe: '/usr/bin/cat', startTime: 1 };
  const make = { pid: 20, name: 'make', exe: '/usr/bin/make', startTime: 2 };
  s.record(cat, 1000n);
  for (let i = 0; i < 3; i++) s.record(make, 500n);
  s.record({ ...cat, startTime: 9, name: 'reused', exe: '/bin/x' }, 7n);
  const alive = (pid: number, start: number) => pid === 20 && start === 2;
  const rows = s.rows(alive, { sort: true });
  t.same(rows[0], { id: 20, name: 'make', path: '/usr/bin/make', total_files_scanned: 3, scan_time_ns: '1500', status: 'Active' });
  t.equal(rows.length, 3, 'a reused pid is its own row');
  t.match(rows.slice(1), [{ total_files_scanned: 1 }, { total_files_scanned: 1 }]);
  t.equal(rows[1]!.status, 'Terminated');
  t.equal(s.rows(alive, { sort: true, top: 1 }).length, 1);
  s.record({ pid: 30, name: 'n', exe: null, startTime: 3 }, 1n);
  t.equal(s.size, 3);
  t.equal(s.evictions, 1);
  t.match(s.rows(alive).find((r) => r.id === 30), { path: '' });
});
