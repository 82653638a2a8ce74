// The compact hash tables: every stored digest is found with its size and name, nothing else
// is, `*` entries match any size, and hostile input (many digests sharing a prefix) still sorts.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { ANY_SIZE, NameTable } from '../../src/definitions/hash-index.js';
import { HashTableBuilder } from '../../src/definitions/hash-build.js';

t.test('200,000 random md5 records: all found, non-members not', async (t) => {
  const names = new NameTable();
  const b = new HashTableBuilder('md5', 10);
  const digests = Array.from({ length: 200_000 }, () => randomBytes(16));
  digests.forEach((d, i) => {
    const [ref, num] = names.encode(`Win.Trojan.Fam${i % 50}-${i}-0`);
    b.add(d, 0, 1000 + (i % 977), ref, num);
  });
  const table = b.build();
  t.equal(table.count, 200_000);
  let bad = 0;
  digests.forEach((d, i) => {
    const hit = table.lookup(d, 1000 + (i % 977));
    if (!hit || names.decode(hit.ref, hit.num) !== `Win.Trojan.Fam${i % 50}-${i}-0`) bad++;
    if (table.lookup(d, 999)) bad++;
  });
  t.equal(bad, 0, 'every record found with its name; wrong size not found');
  let stray = 0;
  for (let i = 0; i < 20_000; i++) if (table.lookup(randomBytes(16), 1000 + (i % 977))) stray++;
  t.equal(stray, 0);
  t.ok(table.wants(1000) && table.wants(1976) && !table.wants(999) && !table.wants(1977));
  t.ok(names.size <= 50, 'name prefixes deduplicated');
  t.ok(table.bytes < 200_000 * 28 + 4 * (1 << 18) + 4 * 977 + 4096, `compact: ${table.bytes} bytes`);
});

t.test('* entries match any size; equal digests with several sizes', async (t) => {
  const names = new NameTable();
  const b = new HashTableBuilder('sha256');
  const d = randomBytes(32);
  b.add(d, 0, 10, ...names.encode('Ten'));
  b.add(d, 0, 20, ...names.encode('Twenty'));
  const e = randomBytes(32);
  b.add(e, 0, ANY_SIZE, ...names.encode('Any'));
  const tb = b.build();
  t.equal(names.decode(tb.lookup(d, 20)!.ref, 0), 'Twenty');
  t.equal(names.decode(tb.lookup(d, 10)!.ref, 0), 'Ten');
  t.notOk(tb.lookup(d, 30));
  t.ok(tb.lookup(e, 123456789));
  t.ok(tb.anySize && tb.wants(5));
});

t.test('hostile: 5,000 digests sharing their first 8 bytes', async (t) => {
  const names = new NameTable();
  const b = new HashTableBuilder('md5');
  const prefix = randomBytes(8);
  const ds = Array.from({ length: 5000 }, () => Buffer.concat([prefix, randomBytes(8)]));
  ds.forEach((d, i) => b.add(d, 0, i, ...names.encode(`N${i}`)));
  const tb = b.build();
  t.equal(ds.filter((d, i) => names.decode(tb.lookup(d, i)!.ref, 0) !== `N${i}`).length, 0);
});

t.test('names: suffix packing round-trips, odd names kept whole', async (t) => {
  const n = new NameTable();
  for (const s of ['Win.Trojan.Agent-6340573-0', 'Eicar-Test-Signature', 'X-0123-0', 'A-1-12', 'Y-999999999-9', 'Z-1000000000-0', 'Ünïcode.Name-1-0']) {
    const [ref, num] = n.encode(s);
    t.equal(n.decode(ref, num), s);
  }
});

t.test('names: 100,000 distinct prefixes are interned once each and survive the index growing', async (t) => {
  const n = new NameTable();
  const refs: number[] = [];
  for (let i = 0; i < 100_000; i++) refs.push(n.encode(`Custom.List.Entry${i}`)[0]);
  t.equal(n.size, 100_000);
  t.equal(new Set(refs).size, 100_000);
  // Same first and last 4 bytes and length: equal slot hashes, told apart by the exact compare.
  const [a] = n.encode('AAAA.x.ZZZZ');
  const [b] = n.encode('AAAA.y.ZZZZ');
  t.not(a, b);
  t.equal(n.encode('AAAA.x.ZZZZ')[0], a);
  for (const i of [0, 1, 4095, 65_536, 99_999]) {
    t.equal(n.encode(`Custom.List.Entry${i}`)[0], refs[i], `entry ${i} found again`);
    t.equal(n.decode(refs[i]!, 0), `Custom.List.Entry${i}`);
  }
  t.equal(n.size, 100_002);
  t.equal(NameTable.fromPrefixes(n.exportPrefixes()).decode(a, 0), 'AAAA.x.ZZZZ');
  t.equal(n.decode(1e9, 0), '?');
});
