// The RTP verdict cache: keyed by identity + definitions generation, only clean/detected
// results are kept, a scan of the same version is shared (single flight), and flush() drops
// entries AND ignores verdicts of scans that were running when it happened.
import t from 'tap';
import { VerdictCache, identityKey, cacheable } from '../../src/rtp/verdict-cache.js';
import type { ScanResult } from '../../src/engine/types.js';

const id = { dev: 1n, ino: 42n, size: 10, mtimeNs: 111n, ctimeNs: 222n };

function deferred(): { p: Promise<ScanResult>; resolve(r: ScanResult): void } {
  let resolve!: (r: ScanResult) => void;
  const p = new Promise<ScanResult>((r) => (resolve = r));
  return { p, resolve };
}

t.test('key covers every part of the identity and the generation', async (t) => {
  const k = identityKey(id, 3);
  t.equal(k, '1:42:10:111:222:3');
  for (const change of [{ dev: 2n }, { ino: 43n }, { size: 11 }, { mtimeNs: 112n }, { ctimeNs: 223n }]) {
    t.not(identityKey({ ...id, ...change }, 3), k, `differs on ${Object.keys(change)[0]}`);
  }
  t.not(identityKey(id, 4), k, 'differs on generation');
});

t.test('only clean and detected are cacheable', async (t) => {
  t.same(cacheable({ kind: 'clean', bytes: 1, generation: 0 }), { kind: 'clean' });
  t.match(cacheable({ kind: 'detected', bytes: 1, generation: 0, name: 'X', threatType: 'virus', engine: 'body' }), { kind: 'detected', name: 'X' });
  t.equal(cacheable({ kind: 'skipped', reason: 'too_large', generation: 0 }), null);
  t.equal(cacheable({ kind: 'error', code: 'E', message: 'm', generation: 0 }), null);
});

t.test('single flight, then cached', async (t) => {
  const c = new VerdictCache(10);
  const key = identityKey(id, 0);
  t.equal(c.get(key), undefined);
  const d = deferred();
  let scans = 0;
  const first = c.track(key, () => {
    scans++;
    return d.p;
  });
  const joined = c.running(key);
  t.ok(joined, 'second caller finds the running scan');
  d.resolve({ kind: 'clean', bytes: 10, generation: 0 });
  t.same(await first, await joined!);
  t.equal(scans, 1);
  t.same(c.get(key), { kind: 'clean' });
  t.equal(c.running(key), undefined, 'no longer running');
  t.match(c.stats(), { hits: 1, misses: 1, joined: 1, entries: 1 });
});

t.test('a verdict from another generation is not cached under this key', async (t) => {
  const c = new VerdictCache(10);
  const key = identityKey(id, 5);
  await c.track(key, async () => ({ kind: 'clean', bytes: 1, generation: 6 }));
  t.equal(c.get(key), undefined);
});

t.test('flush drops entries and verdicts of scans running across it', async (t) => {
  const c = new VerdictCache(10);
  const key = identityKey(id, 0);
  await c.track(key, async () => ({ kind: 'clean', bytes: 1, generation: 0 }));
  const d = deferred();
  const other = identityKey({ ...id, ino: 7n }, 0);
  const p = c.track(other, () => d.p);
  c.flush();
  t.equal(c.get(key), undefined, 'entry gone');
  t.equal(c.running(other), undefined, 'running scans are not joined after a flush');
  d.resolve({ kind: 'clean', bytes: 1, generation: 0 });
  await p;
  t.equal(c.get(other), undefined, 'the verdict of a scan started before the flush is not kept');
});

t.test('a failed scan is not cached and not left running', async (t) => {
  const c = new VerdictCache(10);
  const key = identityKey(id, 0);
  await t.rejects(c.track(key, async () => {
    throw new Error('queue full');
  }));
  t.equal(c.running(key), undefined);
  t.equal(c.get(key), undefined);
});

t.test('bounded', async (t) => {
  const c = new VerdictCache(2);
  for (let i = 0; i < 5; i++) await c.track(identityKey({ ...id, ino: BigInt(i) }, 0), async () => ({ kind: 'clean', bytes: 1, generation: 0 }));
  t.match(c.stats(), { entries: 2, evictions: 3 });
});
