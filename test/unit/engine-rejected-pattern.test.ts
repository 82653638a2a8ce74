// A pattern Vectorscan refuses is reported and left out; the others still compile and match.
import t from 'tap';
import { loadNative } from '../../src/shared/native.js';
import { patternsBinding } from '../../src/engine/patterns/binding.js';
import { buildVectorscan } from '../../src/engine/patterns/vectorscan.js';
import { HS_FLAG_DOTALL, HS_FLAG_SINGLEMATCH, type HsExpression } from '../../src/definitions/ndb-hyperscan.js';

const b = patternsBinding(loadNative());
const F = HS_FLAG_DOTALL | HS_FLAG_SINGLEMATCH;
const expr = (pattern: string): HsExpression => ({ pattern, flags: F, minOffset: 0, maxOffset: 0 });

t.test('rejected expressions are isolated', { skip: b ? false : 'addon built without libhs' }, async (t) => {
  const exprs = [
    expr('\\x41\\x42\\x43'),
    expr('\\x41('), // syntax
    expr('\\x44\\x45.{40000}\\x46'), // bounded repeat too large
    expr('\\x47\\x48'),
    { pattern: '\\x49\\x4a', flags: F, minOffset: 10, maxOffset: 5 }, // min > max offset
    expr('\\x4b\\x4c\\x4d'),
  ];
  const m = await buildVectorscan(b!, exprs);
  t.same(
    m.rejected.map((r) => r.index),
    [1, 2, 4],
  );
  t.match(m.rejected[1]!.message, /Bounded repeat is too large/);
  const s = m.open(-1);
  await s.scan(Buffer.from('..ABC..GH..KLM..DE'));
  t.same([...s.close(18)], [0, 3, 5]);
});

t.test('a stream is single-use: concurrent chunks on one stream are refused', { skip: b ? false : 'addon built without libhs' }, async (t) => {
  const m = await buildVectorscan(b!, [expr('\\x41\\x42')]);
  const s = m.open(-1);
  const buf = Buffer.alloc(8 << 20, 'AB');
  const first = s.scan(buf);
  t.throws(() => s.scan(buf), /busy/);
  await first;
  t.same([...s.close(buf.length)], [0]);
  t.same([...s.close(buf.length)], [], 'closing twice is harmless');
});
