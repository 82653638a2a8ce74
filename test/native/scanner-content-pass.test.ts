// The content pass in the scanner process (issue #12): an engine whose plans live in the
// scanner sends its on-demand batches there — a hash signature, a body signature, EICAR and a
// body signature inside a zip are found from the scanner's records (the zip walked through the
// daemon's own fd, a clean zip proven clean in the scanner), clean files stay clean, and the
// scanner's counters show every file went through it. A plan released is forgotten there.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createEngine } from '../../src/engine/engine.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet, tmpDir } from '../helpers/engine-fixtures.js';
import { makeZip, eicar } from '../helpers/archive-fixtures.js';
import { skipScanner, startScanner } from '../helpers/scanner.js';

const BODY = 'WDAV_CONTENT_PASS_BODY_5e1d';

t.test('on-demand batches read in the scanner', { skip: skipScanner }, async (t) => {
  const { scanner } = await startScanner(t);
  const hashed = randomBytes(5000);
  const sha = createHash('sha256').update(hashed).digest('hex');
  const set = await loadSet(t, [defsDir(t, { 'c.ndb': `Test.Body.Content:0:*:${Buffer.from(BODY).toString('hex')}\n`, 'c.hsb': `${sha}:${hashed.length}:Test.Hash.Content\n` })]);
  const engine = createEngine({ definitions: set, native: loadNative(), remotePlans: scanner });
  await engine.placePlan();
  t.equal(engine.remotePlanError, null, 'the scanner holds the plan');

  const dir = tmpDir(t);
  const files: [string, string | Buffer][] = [
    ['hash.bin', hashed],
    ['body.bin', `${'a'.repeat(4000)}${BODY}${'b'.repeat(4000)}`],
    ['eicar.com', eicar()],
    ['evil.zip', makeZip([{ name: 'in/body.txt', data: Buffer.from(`xx ${BODY} xx`) }])],
    ['clean.zip', makeZip([{ name: 'ok.txt', data: Buffer.from('nothing to see '.repeat(100)) }])],
  ];
  for (let i = 0; i < 100; i++) files.push([`clean${i}.txt`, `clean text ${i} `.repeat(50 + i)]);
  const paths = files.map(([name, data]) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, data, { mode: 0o600 });
    return p;
  });
  const before = scanner.contentStats();
  const fds = Int32Array.from(paths.map((p) => fs.openSync(p, 'r')));
  const out = await engine.scanBatch({ fds, path: (i) => paths[i]! }, { origin: 'on_demand', scanArchives: true, maxFileSize: 0 });
  const found = Object.fromEntries(out.others.map((o) => [path.basename(paths[o.index]!), o.result.kind === 'detected' ? o.result.name : o.result.kind]));
  t.same(found, { 'hash.bin': 'Test.Hash.Content', 'body.bin': 'Test.Body.Content', 'eicar.com': 'Virus:DOS/EICAR_Test_File', 'evil.zip': 'Test.Body.Content' });
  t.equal(out.clean, 101, 'the rest is clean');
  const after = scanner.contentStats();
  t.equal(after.files - before.files, files.length, 'every file was read in the scanner process');
  t.equal(after.failures, 0);
  t.ok(engine.stats().archivesProvenNative >= 1, 'the clean zip was proven clean there');

  // A new set: its plan goes to the scanner first, the old one is released.
  const next = await loadSet(t, [defsDir(t, { 'd.ndb': `Test.Body.Next:0:*:${Buffer.from('NEXT_MARK_77').toString('hex')}\n` })]);
  await engine.setDefinitions(next);
  const p = path.join(dir, 'next.bin');
  fs.writeFileSync(p, 'x NEXT_MARK_77 x');
  const r = await engine.scanBatch({ fds: Int32Array.of(fs.openSync(p, 'r')) }, { origin: 'on_demand', scanArchives: false, maxFileSize: 0 });
  t.match(r.others[0]?.result, { kind: 'detected', name: 'Test.Body.Next' });
  t.equal(scanner.contentStats().files - after.files, 1, 'read in the scanner on the new plan');
});
