import t from 'tap';
import { ScanQueue } from '../../src/scan/queue.js';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

t.test('real-time lane is refused when full and counted; on-demand waits; real-time runs first', async (t) => {
  const q = new ScanQueue(4, 1);
  const g = gate();
  const order: string[] = [];
  const first = q.tryAdd(async () => { await g.p; order.push('blocker'); });
  const od = [q.add(async () => { order.push('od1'); }), q.add(async () => { order.push('od2'); })];
  // on-demand may use only half the capacity: the second one waits for room
  await new Promise((r) => setTimeout(r, 10));
  t.equal(q.depth, 2);
  const rt = [q.tryAdd(async () => { order.push('rt1'); }), q.tryAdd(async () => { order.push('rt2'); })];
  await t.rejects(q.tryAdd(async () => {}), { name: 'QueueFullError', code: 'WDAV_ERR_BUSY' });
  t.equal(q.stats().fullCount, 1);
  t.equal(q.stats().maxDepth, 4);
  t.ok(q.stats().oldestWaitingMs >= 0);
  g.open();
  await Promise.all([first, ...rt, ...od]);
  t.same(order.slice(0, 3), ['blocker', 'rt1', 'rt2'], 'real-time work runs before waiting on-demand work');
  t.same(order.slice(3).sort(), ['od1', 'od2']);
  t.equal(q.stats().completed, 5);
});

t.test('an aborted on-demand add stops waiting', async (t) => {
  const q = new ScanQueue(2, 1);
  const g = gate();
  const a = q.add(async () => g.p);
  const ac = new AbortController();
  const b = q.add(async () => {}, ac.signal);
  ac.abort();
  g.open();
  await a;
  await t.rejects(b);
});

t.test('capacity follows the setting', async (t) => {
  const q = new ScanQueue(2, 1);
  const g = gate();
  const a = q.tryAdd(async () => g.p);
  const b = q.tryAdd(async () => g.p);
  await t.rejects(q.tryAdd(async () => {}), { name: 'QueueFullError' });
  q.setCapacity(3);
  t.equal(q.capacity, 3);
  const c = q.tryAdd(async () => {});
  g.open();
  await Promise.all([a, b, c]);
  t.equal(q.stats().capacity, 3);
});
