// The scan history table: a scan is recorded when it starts and completed when it ends, with
// its threats; listing is newest first; pruning keeps scanHistoryMaximumItems finished scans
// and none older than scanResultsRetentionDays (never a running one); scans a crashed daemon
// left running become failed.
import t from 'tap';
import { openDatabase } from '../../src/store/db.js';
import { ScansStore } from '../../src/store/scans.js';
import type { ScanSummary } from '../../src/scan/types.js';
import { LoggerFactory } from '../../src/shared/logger.js';
import { tmpDir } from '../helpers/scan-walk.js';

function summary(id: string, startedAt: number, state: ScanSummary['state'] = 'running'): ScanSummary {
  return {
    id, type: 'custom', state, paths: ['/x'], ignoreExclusions: false, requestedBy: 0,
    startedAt: new Date(startedAt).toISOString(), endedAt: null, durationMs: 0,
    filesScanned: 0, bytesScanned: 0, threatsDetected: 0, skipped: 0, errors: 0,
    details: { walk: {} as ScanSummary['details']['walk'], skippedBy: {}, errorsBy: {}, events: [] }, message: null,
  };
}

t.test('record, finish, list, threats', async (t) => {
  const { db } = openDatabase(tmpDir(t), new LoggerFactory({ level: 'error', destination: { write() {} } }).child('store'));
  t.teardown(() => db.close());
  const st = new ScansStore(db);
  const now = Date.now();
  st.insert(summary('a', now - 2000));
  st.insert(summary('b', now - 1000));
  const done = { ...summary('a', now - 2000, 'succeeded'), endedAt: new Date(now - 1500).toISOString(), filesScanned: 10, bytesScanned: 99, threatsDetected: 1 };
  st.finish(done);
  st.addThreat('a', { name: 'Virus:DOS/EICAR_Test_File', threatType: 'virus', path: '/x/bad\\xff', engine: 'builtin', detectedAt: new Date(now).toISOString(), memberPath: 'in.zip->e' }, Buffer.from([0x2f, 0xff]));
  const list = st.list(10);
  t.same(list.map((s) => [s.id, s.state]), [['b', 'running'], ['a', 'succeeded']]);
  t.equal(list[1]!.durationMs, 500);
  t.equal(list[1]!.filesScanned, 10);
  t.match(st.threats('a'), [{ name: 'Virus:DOS/EICAR_Test_File', path: '/x/bad\\xff', memberPath: 'in.zip->e' }]);
  t.equal(st.failInterrupted('interrupted'), 1);
  t.match(st.get('b'), { state: 'failed', message: 'interrupted' });
  t.equal(st.get('nope'), null);
});

t.test('pruning', async (t) => {
  const { db } = openDatabase(tmpDir(t), new LoggerFactory({ level: 'error', destination: { write() {} } }).child('store'));
  t.teardown(() => db.close());
  const st = new ScansStore(db);
  const now = Date.now();
  for (let i = 0; i < 6; i++) {
    st.insert(summary(`s${i}`, now - (10 - i) * 1000));
    st.finish({ ...summary(`s${i}`, now - (10 - i) * 1000, 'succeeded'), endedAt: new Date(now).toISOString() });
    st.addThreat(`s${i}`, { name: 'T', threatType: 'virus', path: '/p', engine: 'hash', detectedAt: new Date(now).toISOString() });
  }
  st.insert(summary('old', now - 100 * 86_400_000));
  st.finish({ ...summary('old', now - 100 * 86_400_000, 'failed'), endedAt: new Date(now).toISOString() });
  st.insert(summary('running', now - 200 * 86_400_000));
  t.equal(st.prune(3, 90), 4, 'the one past retention and the three oldest beyond the limit');
  t.same(st.list(10).map((s) => s.id).sort(), ['running', 's3', 's4', 's5']);
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM scan_threats').get() as { n: number }).n, 3, 'their threats went with them');
});
