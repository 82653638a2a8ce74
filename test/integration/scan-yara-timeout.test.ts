// On-demand scan under the slow-YARA attack (issue #11, finding 2): `mdatp scan custom` over a
// file that makes a YARA rule run for minutes ends at the per-file time limit
// (wdavdaemon.scanTimeLimitMs), reports the file as scan_timeout (result, journald event,
// health counter) and still applies the other engines: a file with the same slow content that
// a body signature matches is detected.
import t from 'tap';
import { InProcDaemon } from '../helpers/inproc.js';
import { scanJson, writeTree } from '../helpers/scan-daemon.js';
import { SLOW_RULE, slowBytes } from '../helpers/yara-slow.js';
import fs from 'node:fs';
import path from 'node:path';

const MARK = ['WDAV', 'SLOW', 'BODY', 'MARK'].join('_');

t.test('scan custom over a slow-YARA file: scan_timeout, other verdicts kept', { timeout: 40_000 }, async (t) => {
  const d = await InProcDaemon.start(t, { managed: { wdavdaemon: { scanTimeLimitMs: 1000 } } });
  fs.writeFileSync(path.join(d.customDefs, 'slow.yar'), SLOW_RULE);
  fs.writeFileSync(path.join(d.customDefs, 'mark.ndb'), `Test.SlowMark:0:*:${Buffer.from(MARK).toString('hex')}\n`);
  const reload = await d.mdatp(['definitions', 'reload']);
  t.equal(reload.code, 0, reload.stderr);
  const tree = path.join(d.dir, 'tree');
  writeTree(tree, { 'slow.txt': slowBytes(), 'marked.txt': Buffer.concat([slowBytes(), Buffer.from(MARK)]), 'clean.txt': 'plain' });

  const t0 = Date.now();
  const { code, doc } = await scanJson(d, ['custom', '--path', tree]);
  const ms = Date.now() - t0;
  t.equal(code, 0);
  t.equal(doc.state, 'succeeded');
  t.ok(ms < 10_000, `the scan ended at the time limit, not minutes later (${ms} ms)`);
  t.equal(doc.filesScanned, 3, 'every file counts as scanned');
  t.equal(doc.threatsDetected, 1);
  t.match(doc.threats[0], { name: 'Test.SlowMark', engine: 'body', path: path.join(tree, 'marked.txt') }, 'the body signature still detects');
  t.equal(doc.scanTimeouts, 1, 'one file timed out');
  t.ok(doc.details.events.some((e) => e.path === path.join(tree, 'slow.txt') && /^scan_timeout/.test(e.code)), 'and it is listed');

  const ev = await d.waitForLog((l) => l.event === 'scan_timeout' && l.path === path.join(tree, 'slow.txt'), 5000);
  t.match(ev, { component: 'threats', source: 'on_demand', engine: 'yara', scanId: doc.id, limitMs: 1000 }, 'journald event scan_timeout');
  const h = await d.api('GET', '/v1/health?details=features');
  t.equal(h.json.fields.scan_timeouts.on_demand, 1, 'health counter');
});
