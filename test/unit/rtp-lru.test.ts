// The bounded LRU behind the RTP caches: capacity holds, the least recently used entry goes
// first, get() refreshes age, peek() does not, resize() evicts down to the new bound.
import t from 'tap';
import { Lru } from '../../src/rtp/lru.js';

t.test('LRU eviction order and bounds', async (t) => {
  const l = new Lru<string, number>(3);
  l.set('a', 1);
  l.set('b', 2);
  l.set('c', 3);
  t.equal(l.get('a'), 1, 'a refreshed');
  l.set('d', 4);
  t.equal(l.peek('b'), undefined, 'b (least recent) evicted');
  t.equal(l.size, 3);
  t.equal(l.evictions, 1);
  t.equal(l.peek('c'), 3);
  l.set('e', 5);
  t.equal(l.peek('c'), undefined, 'peek did not refresh c');
  l.set('a', 10);
  t.same([...l.entries()], [['d', 4], ['e', 5], ['a', 10]], 'overwrite moves to the end');
  l.resize(1);
  t.same([...l.entries()], [['a', 10]]);
  t.equal(l.evictions, 4);
  t.throws(() => new Lru(0), RangeError);
});
