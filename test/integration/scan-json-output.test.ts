// `mdatp scan custom --output json` prints exactly one JSON document: counts, threats with
// name/path/type/engine, duration and the walk details; exit status 0. Errors are one line on
// stderr with a non-zero status (missing path, relative garbage, a FIFO as the path).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { InProcDaemon } from '../helpers/inproc.js';
import { eicar, writeTree } from '../helpers/scan-daemon.js';

t.test('JSON document shape', async (t) => {
  const d = await InProcDaemon.start(t);
  const tree = path.join(d.dir, 'tree');
  writeTree(tree, { 'a.txt': 'aaa', 'sub/b.txt': 'bbbb', 'sub/e.com': eicar() });
  const r = await d.mdatp(['scan', 'custom', '--path', tree, '--output', 'json']);
  t.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.same(Object.keys(doc).sort(), ['bytesScanned', 'details', 'durationMs', 'endedAt', 'errors', 'filesScanned', 'id', 'message', 'paths', 'scanTimeouts', 'skipped', 'startedAt', 'state', 'threats', 'threatsDetected', 'type', 'unscanned'].sort());
  t.match(doc, { type: 'custom', state: 'succeeded', paths: [tree], filesScanned: 3, threatsDetected: 1, skipped: 0, errors: 0, scanTimeouts: 0, unscanned: 0, message: null });
  t.equal(doc.bytesScanned, 3 + 4 + eicar().length);
  t.type(doc.durationMs, 'number');
  t.ok(Date.parse(doc.endedAt) >= Date.parse(doc.startedAt));
  t.match(doc.threats, [{ name: 'Virus:DOS/EICAR_Test_File', path: path.join(tree, 'sub', 'e.com'), threatType: 'virus', engine: 'builtin' }]);
  t.match(doc.details.walk, { dirs: 2, files: 3, symlinks: 0, special: 0 });
  t.equal(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).length, 1, 'one document');
  t.equal(r.stdout.includes('Scanning, please wait'), false, 'no text in JSON mode');
});

t.test('bad paths are refused with one line', async (t) => {
  const d = await InProcDaemon.start(t);
  const missing = await d.mdatp(['scan', 'custom', '--path', path.join(d.dir, 'nope')]);
  t.not(missing.code, 0);
  t.match(missing.stderr, /no such file or directory/);
  t.equal(missing.stderr.trim().split('\n').length, 1);
  const fifo = path.join(d.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const f = await d.mdatp(['scan', 'custom', '--path', fifo]);
  t.not(f.code, 0);
  t.match(f.stderr, /never scanned/);
  const none = await d.mdatp(['scan', 'custom']);
  t.equal(none.code, 2);
  t.match(none.stderr, /missing --path/);
  const api = await d.api('POST', '/v1/scans', { type: 'quick', paths: ['/tmp'] });
  t.equal(api.status, 400);
  t.equal(api.json.code, 'WDAV_ERR_INVALID_ARGUMENT');
  fs.rmSync(fifo);
});
