// An on-demand scan reads its files in the scanner process (issue #12: the content pass). When
// that process is SIGKILLed in the middle of the scan, the batches it held are sent again to
// the scanner that replaces it: the scan ends with every file scanned, every planted detection
// found and no file in error.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { InProcDaemon } from '../helpers/inproc.js';
import { eicar, writeSignatures, writeTree } from '../helpers/scan-daemon.js';

const BODY_HEX = '5741444d53494e4741424f445953494731393939';

t.test('SIGKILL of the scanner during an on-demand scan', { skip: process.getuid?.() !== 0 ? 'needs root: the scanner runs as another user' : false, timeout: 120_000 }, async (t) => {
  const hashed = randomBytes(3000);
  const dir = fs.mkdtempSync('/tmp/wdav-scan-kill-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeSignatures(path.join(dir, 'definitions.d'), [{ data: hashed, name: 'Test.Hash.Kill' }], [{ hex: BODY_HEX, name: 'Test.Body.Kill' }]);
  const d = await InProcDaemon.start(t, { dir });
  const tree = path.join(dir, 'tree');
  const files: Record<string, string | Buffer> = {};
  // Enough reading that the scan is still running when the scanner dies.
  for (let i = 0; i < 4000; i++) files[`d${i % 40}/f${i}.bin`] = randomBytes(2048 + (i % 7) * 4096);
  files['z/eicar.com'] = eicar();
  files['z/hash.bin'] = hashed;
  files['z/body.bin'] = Buffer.concat([randomBytes(900), Buffer.from(BODY_HEX, 'hex'), randomBytes(900)]);
  writeTree(tree, files);

  const h0 = await d.api('GET', '/v1/health?details=features');
  const pid = h0.json.fields.scanner.pid as number;
  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [tree] });
  t.equal(started.status, 201);
  const id = started.json.scan.id as string;
  // Killed once the content pass has files in flight.
  for (let i = 0; i < 400; i++) {
    const h = await d.api('GET', '/v1/health?details=features');
    if (h.json.fields.content_pass.files > 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  process.kill(pid, 'SIGKILL');
  let scan: any;
  for (let i = 0; i < 1200; i++) {
    scan = (await d.api('GET', `/v1/scans/${id}`)).json.scan;
    if (scan.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(scan.state, 'succeeded', `the scan ended: ${JSON.stringify(scan)}`);
  t.equal(scan.filesScanned, 4003, 'every file scanned');
  t.equal(scan.errors, 0, 'no file in error');
  t.equal(scan.threatsDetected, 3, 'EICAR, the hash and the body signature found');
  const h = (await d.api('GET', '/v1/health?details=features')).json.fields;
  t.not(h.scanner.pid, pid, 'a new scanner process runs');
  t.equal(h.scanner.state, 'running');
  t.ok(h.content_pass.attaches >= 2, `the content pass went on in the new scanner (${JSON.stringify(h.content_pass)})`);
});
