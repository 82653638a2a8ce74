// A scan plan bundle that does not hold together is refused by the scanner with the reason, and
// the scanner goes on (issue #12): a file that is not a sealed memfd (its tables could change
// under the checked views), a bundle cut short, one with a bad magic, one whose bucket index
// points past its records. The plans it already holds keep working.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../../src/shared/native.js';
import { scannerLink } from '../../src/scanner/link.js';
import { Op, Status, u32Arg, type Reply } from '../../src/scanner/protocol.js';
import { createEngine } from '../../src/engine/engine.js';
import { defsDir, loadSet } from '../helpers/engine-fixtures.js';
import { skipScanner, startScanner } from '../helpers/scanner.js';

type Call = (op: number, fd: number, timeoutMs: number, file: string | null, payload?: unknown) => Promise<Reply>;

t.test('malformed plan bundles are refused with the reason', { skip: skipScanner }, async (t) => {
  const { scanner } = await startScanner(t);
  const link = scannerLink(loadNative());
  // The wire-level request, as the daemon would send it with a bundle of these bytes.
  const call = (scanner as unknown as { call: Call }).call.bind(scanner);
  const load = async (fd: number, id: number): Promise<string> => {
    try {
      const r = await call(Op.loadPlan, fd, 5_000, null, u32Arg(id));
      return r.status === Status.ok ? 'ok' : r.body.str(4096);
    } finally {
      fs.closeSync(fd);
    }
  };

  // A good plan first: it must survive the bad ones.
  const set = await loadSet(t, [defsDir(t, { 'g.ndb': `Test.Good:0:*:${Buffer.from('GOOD_PLAN_MARK').toString('hex')}\n` })]);
  const engine = createEngine({ definitions: set, native: loadNative(), remotePlans: scanner });
  await engine.placePlan();
  t.equal(engine.remotePlanError, null);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-plan-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const plain = path.join(dir, 'plain.bin');
  fs.writeFileSync(plain, Buffer.alloc(4096));
  t.match(await load(fs.openSync(plain, 'r'), 900), /not a sealed memfd/, 'a plain file is refused');

  const u32 = (...v: number[]) => Buffer.from(new Uint32Array(v).buffer);
  t.match(await load(link.scannerMemfd(Buffer.from('not a plan at all')), 901), /does not start with WDP2/, 'a bad magic');
  t.match(await load(link.scannerMemfd(u32(0x32504457, 0, 65536)), 902), /cut short in its header/, 'a header cut short');
  // Header, three empty size sets, no database, one sha256 table... of 1 record with a bucket
  // index that points past it.
  const header = u32(0x32504457, 0, 65536, 1, 0, 30000, 32 << 20, 0);
  const sizes = u32(0, 0, 0, 0, 0, 0);
  const noDb = Buffer.concat([Buffer.alloc(8), u32(0, 0)]);
  const buckets = new Uint32Array(65537).fill(2);
  buckets[0] = 0;
  const table = Buffer.concat([Buffer.from(new BigUint64Array([1n]).buffer), Buffer.alloc(44), Buffer.alloc(4), Buffer.from(buckets.buffer), Buffer.alloc(4)]);
  const tables = Buffer.concat([u32(0, 0), u32(0, 0), u32(1, 0), table]);
  t.match(await load(link.scannerMemfd(Buffer.concat([header, sizes, noDb, tables])), 903), /bucket index outside its records/, 'a bucket past its records');

  // The scanner is still the same process, and the good plan still scans there.
  const p = path.join(dir, 'good.bin');
  fs.writeFileSync(p, 'xx GOOD_PLAN_MARK xx');
  const before = scanner.contentStats().files;
  const r = await engine.scanBatch({ fds: Int32Array.of(fs.openSync(p, 'r')) }, { origin: 'on_demand', scanArchives: false, maxFileSize: 0 });
  t.match(r.others[0]?.result, { kind: 'detected', name: 'Test.Good' });
  t.equal(scanner.contentStats().files - before, 1, 'read in the scanner');
  t.equal(scanner.health().restarts, 0, 'no restart');
});
