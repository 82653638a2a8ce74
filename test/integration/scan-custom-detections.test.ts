// `mdatp scan custom --path DIR` on the real daemon and engine finds every planted detection:
// EICAR (plain, nested, inside zip and tar.gz), a ClamAV hash (.hsb) hit and a body (.ndb) hit
// from the custom definitions; prints MDE's summary; the threats reach the threat service
// (quarantined, listed by `mdatp threat list`) and stay recorded with the scan.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InProcDaemon } from '../helpers/inproc.js';
import { gzip, makeTar, makeZip } from '../helpers/archive-fixtures.js';
import { eicar, scanJson, writeSignatures, writeTree } from '../helpers/scan-daemon.js';

t.test('planted detections, text summary, threat records', async (t) => {
  const hashed = randomBytes(3000);
  const body = Buffer.concat([randomBytes(500), Buffer.from('5741444d53494e4741424f44595349473132', 'hex'), randomBytes(700)]);
  const dir = fs.mkdtempSync('/tmp/wdav-scan-it-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeSignatures(path.join(dir, 'definitions.d'), [{ data: hashed, name: 'Test.Hash.Planted' }], [{ hex: '5741444d53494e4741424f44595349473132', name: 'Test.Body.Planted' }]);
  const d = await InProcDaemon.start(t, { dir });
  const tree = path.join(dir, 'tree');
  const clean: Record<string, string> = {};
  for (let i = 0; i < 200; i++) clean[`c${i % 7}/n${i % 3}/clean${i}.txt`] = `just text ${i}\n`.repeat(i % 50);
  writeTree(tree, {
    ...clean,
    'plain.com': eicar(),
    'a/b/c/d/e/nested.txt': eicar(),
    'arch/in.zip': makeZip([{ name: 'x/evil.com', data: eicar() }]),
    'arch/in.tar.gz': gzip(makeTar([{ name: 'evil.com', data: eicar() }])),
    'sig/hash.bin': hashed,
    'sig/deep/body.bin': body,
  });

  const r = await d.mdatp(['scan', 'custom', '--path', tree]);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.equal(lines[0], 'Scanning, please wait this may take a while.');
  t.ok(lines.includes('Scan has finished'));
  t.ok(lines.includes('\t206 file(s) scanned'), 'files scanned line');
  t.ok(lines.includes('\t6 threat(s) detected'), 'threats line');
  for (const p of ['plain.com', 'a/b/c/d/e/nested.txt', 'arch/in.zip', 'arch/in.tar.gz', 'sig/hash.bin', 'sig/deep/body.bin']) {
    t.ok(lines.some((l) => l.includes(`Threat(s) found: `) && l.includes(path.join(tree, p))), `${p} reported`);
  }
  t.match(r.stdout, /Test\.Hash\.Planted in .*sig\/hash\.bin/);
  t.match(r.stdout, /Test\.Body\.Planted in .*sig\/deep\/body\.bin/);

  // The threat service got them: quarantined (the default policy) and listed.
  const threats = await d.api('GET', '/v1/threats');
  const onDemand = (threats.json.threats as { path: string; source: string; scanId?: string }[]).filter((x) => x.source === 'on_demand');
  t.equal(onDemand.length, 6, 'six threat records from the scan');
  t.notOk(fs.existsSync(path.join(tree, 'plain.com')), 'quarantined away from its path');
  // The scan keeps its own list, with the action taken.
  const scans = await d.api('GET', '/v1/scans');
  const id = scans.json.scans[0].id as string;
  const one = await d.api('GET', `/v1/scans/${id}`);
  t.equal(one.json.threats.length, 6);
  t.ok(one.json.threats.every((x: { action?: string }) => x.action === 'quarantined'), 'actions recorded');

  // A second scan finds nothing left.
  const again = await scanJson(d, ['custom', '--path', tree]);
  t.equal(again.doc.threatsDetected, 0);
  t.equal(again.doc.filesScanned, 200);
});
