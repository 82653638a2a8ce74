// On-demand admission (src/scan/limiter.ts) owns the bound on batches still in their JavaScript
// part, across all scans: at the limit a new batch waits; a tail that ends, or a raised limit,
// lets it in; and two scans on one limiter share the bound rather than get one each.
import t from 'tap';
import { Limiter } from '../../src/scan/limiter.js';

t.test('tails at the limit make the next batch wait until one ends', async (t) => {
  const l = new Limiter(2);
  t.equal(l.tailRoom(), null, 'room at first');
  l.enterTail();
  l.enterTail();
  t.equal(l.tails, 2);
  const room = l.tailRoom();
  t.ok(room, 'no room at the limit');
  let through = false;
  void room!.then(() => (through = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(through, 'still waiting');
  l.leaveTail();
  await room;
  t.ok(through);
  t.equal(l.tailRoom(), null, 'room again');
});

t.test('a raised limit lets waiting batches in; two waiters share one freed place', async (t) => {
  const l = new Limiter(1);
  l.enterTail();
  const a = l.tailRoom()!;
  const b = l.tailRoom()!;
  l.setLimit(3);
  await Promise.all([a, b]);
  t.equal(l.tailRoom(), null);
  // Back at the limit: both are woken by one leaveTail, but only one finds room when it looks.
  l.setLimit(1);
  const c = l.tailRoom()!;
  const d = l.tailRoom()!;
  l.leaveTail();
  await Promise.all([c, d]);
  t.equal(l.tails, 0);
  t.equal(l.tailRoom(), null, 'the first to look takes it');
  l.enterTail();
  t.ok(l.tailRoom(), 'then the other waits anew');
});
