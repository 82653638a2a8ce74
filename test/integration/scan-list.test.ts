// `mdatp scan list` shows recent scans newest first (type, start, duration, files scanned,
// threats, state) and the history is pruned to scanHistoryMaximumItems (managed setting).
import t from 'tap';
import path from 'node:path';
import { parseFields } from '../helpers/daemon.js';
import { InProcDaemon } from '../helpers/inproc.js';
import { eicar, writeTree } from '../helpers/scan-daemon.js';

t.test('list contents and pruning', async (t) => {
  const d = await InProcDaemon.start(t, { managed: { antivirusEngine: { scanHistoryMaximumItems: 3 } } });
  const tree = path.join(d.dir, 'tree');
  writeTree(tree, { 'a.txt': 'a', 'b.txt': 'b' });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    if (i === 4) writeTree(tree, { 'e.com': eicar() });
    const r = await d.mdatp(['scan', 'custom', '--path', tree, '--output', 'json']);
    t.equal(r.code, 0, r.stderr);
    ids.push(JSON.parse(r.stdout).id);
  }
  const j = await d.mdatp(['scan', 'list', '--output', 'json']);
  const scans = JSON.parse(j.stdout) as { id: string; type: string; state: string; filesScanned: number; threatsDetected: number; durationMs: number; startedAt: string }[];
  t.same(scans.map((s) => s.id), [ids[4], ids[3], ids[2]], 'the three newest, newest first');
  t.match(scans[0], { type: 'custom', state: 'succeeded', filesScanned: 3, threatsDetected: 1 });
  t.match(scans[1], { filesScanned: 2, threatsDetected: 0 });

  const text = await d.mdatp(['scan', 'list']);
  t.equal(text.code, 0);
  const blocks = text.stdout.split('=====================================\n').filter((b) => b.trim());
  t.equal(blocks.length, 3);
  const f = parseFields(blocks[0]!);
  t.same(Object.keys(f), ['id', 'type', 'start', 'duration', 'files_scanned', 'threats', 'unscanned', 'state']);
  t.match(f, { id: `"${ids[4]}"`, type: '"custom"', files_scanned: '3', threats: '1', state: '"Succeeded"' });
  t.match(f.duration, /^"\d+\.\ds"$/);

  // Lowering the limit prunes at once.
  d.writeManaged({ antivirusEngine: { scanHistoryMaximumItems: 1 } });
  let n = 3;
  for (let i = 0; i < 100 && n !== 1; i++) {
    await new Promise((r) => setTimeout(r, 50));
    n = JSON.parse((await d.mdatp(['scan', 'list', '--output', 'json'])).stdout).length;
  }
  t.equal(n, 1, 'pruned to the new limit');
});
