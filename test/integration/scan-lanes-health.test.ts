// `mdatp health --details features` shows the on-demand scanning lanes as measured: after a scan
// of many small files with maximumOnDemandScanThreads = 3 (managed), three lanes took batches,
// none is left on them, the most held at once stayed within threads × 2, and no scan is running.
import t from 'tap';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';
import { writeTree } from '../helpers/scan-daemon.js';

t.test('lanes in the health features', async (t) => {
  const d = await InProcDaemon.start(t, { managed: { antivirusEngine: { maximumOnDemandScanThreads: 3 } } });
  const tree = path.join(d.dir, 'tree');
  const files: Record<string, string> = {};
  for (let i = 0; i < 1500; i++) files[`d${i % 15}/f${i}.txt`] = `file ${i}\n`.repeat(1 + (i % 50));
  writeTree(tree, files);
  const r = await d.mdatp(['scan', 'custom', '--path', tree, '--output', 'json']);
  t.equal(r.code, 0, r.stderr);
  t.equal(JSON.parse(r.stdout).filesScanned, 1500);
  const h = await d.mdatp(['health', '--details', 'features', '--output', 'json']);
  t.equal(h.code, 0, h.stderr);
  const f = JSON.parse(h.stdout).on_demand_scans as {
    running_scans: number; threads: number; batches_admitted: number; batches_admitted_limit: number;
    lanes: { lanesStarted: number; capacity: number; depth: number; maxDepth: number; posted: number } | null;
  };
  t.match(f, { running_scans: 0, threads: 3, batches_admitted: 0, batches_admitted_limit: 6 });
  t.ok(f.lanes, 'the engine reports its lanes');
  t.match(f.lanes, { capacity: 6, depth: 0 });
  t.ok(f.lanes!.posted >= 12, `1500 files went in many batches (${f.lanes!.posted})`);
  t.ok(f.lanes!.maxDepth >= 1 && f.lanes!.maxDepth <= 6, `at most 6 batches on the lanes at once (${f.lanes!.maxDepth})`);
  t.ok(f.lanes!.lanesStarted >= 1 && f.lanes!.lanesStarted <= 3, `lanes started: ${f.lanes!.lanesStarted}`);
});
