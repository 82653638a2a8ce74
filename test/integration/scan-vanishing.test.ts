// Files and directories deleted while a scan runs are counted (vanished: skipped, not errors)
// and never fail the scan. The walker lists only a batch or two ahead of the scan, so the
// directories it has not entered yet when the tree is removed are gone when it gets there.
// The scan runs on one thread and the directories go in reverse readdir order (the walker's
// order), moved out of the tree with one rename each, so the first ones removed are the
// farthest ahead of it, however fast the scan is.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';

t.test('the tree vanishes during the scan', async (t) => {
  const d = await InProcDaemon.start(t, { managed: { antivirusEngine: { maximumOnDemandScanThreads: 1 } } });
  const tree = path.join(d.dir, 'tree');
  const total = 4000;
  const dirs = 400;
  const data = Buffer.alloc(16 << 10, 0x43);
  for (let i = 0; i < total; i++) {
    const dir = path.join(tree, `d${i % dirs}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}`), data);
  }
  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [tree] });
  t.equal(started.status, 201);
  const id = started.json.scan.id as string;
  let scan = started.json.scan;
  while (scan.state === 'running' && scan.filesScanned < 20) {
    await new Promise((r) => setTimeout(r, 5));
    scan = (await d.api('GET', `/v1/scans/${id}`)).json.scan;
  }
  t.equal(scan.state, 'running', 'still running when the tree goes');
  // Moving a directory out of the tree is one syscall: to the walker it is gone.
  const gone = path.join(d.dir, 'gone');
  fs.mkdirSync(gone);
  for (const name of fs.readdirSync(tree).reverse()) fs.renameSync(path.join(tree, name), path.join(gone, name));
  while (scan.state === 'running') {
    await new Promise((r) => setTimeout(r, 25));
    scan = (await d.api('GET', `/v1/scans/${id}`)).json.scan;
  }
  t.equal(scan.state, 'succeeded');
  t.equal(scan.errors, 0, 'vanished files are not errors');
  const w = scan.details.walk;
  t.ok(w.vanished >= 1, `vanished: ${w.vanished}`);
  t.ok(scan.filesScanned < total, `scanned ${scan.filesScanned} of ${total}`);
  t.equal(scan.skipped, w.vanished + Object.values(scan.details.skippedBy as Record<string, number>).reduce((a, b) => a + b, 0));
  t.ok(scan.details.events.some((e: { code: string }) => e.code === 'ENOENT'), 'the vanished paths are in the report');
});
