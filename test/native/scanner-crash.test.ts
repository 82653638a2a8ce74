// A scanner that crashes on a file (the test-only marker makes it abort) is reported with that
// file, the request fails with WDAV_ERR_SCANNER instead of hanging, and the scanner is back
// within a second with its rules: the next file is scanned and matched again.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { skipScanner, startScanner } from '../helpers/scanner.js';

const RULE = 'rule crash_test_hello { strings: $a = "scanner comes back" condition: $a }';

t.test('crash on the marker, back within a second', { skip: skipScanner }, async (t) => {
  const { scanner, logs } = await startScanner(t, { testHooks: true });
  await scanner.loadYara([{ file: 'r.yar', source: RULE }]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-scanner-crash-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const crashFile = path.join(dir, 'crash.bin');
  fs.writeFileSync(crashFile, 'WDAV-TEST-SCANNER-CRASH then anything');
  const goodFile = path.join(dir, 'good.bin');
  fs.writeFileSync(goodFile, 'the scanner comes back');
  const firstPid = scanner.health().pid;

  const fd = fs.openSync(crashFile, 'r');
  t.teardown(() => fs.closeSync(fd));
  await t.rejects(scanner.scan(fd, { limitMs: 1_000, maxBytes: 1 << 20, file: crashFile }), { code: 'WDAV_ERR_SCANNER' });
  const crashedAt = Date.now();
  await scanner.ready();
  const backIn = Date.now() - crashedAt;
  t.ok(backIn < 1_000, `back in ${backIn} ms`);
  const h = scanner.health();
  t.equal(h.state, 'running');
  t.not(h.pid, firstPid, 'a new process');
  t.equal(h.restarts, 1);
  t.match(h.lastCrash, { file: crashFile, signal: 'SIGABRT', reason: 'exited' });
  t.ok(logs.some((l) => l.msg === `scanner crashed on ${crashFile}` && l.code === 'WDAV_ERR_SCANNER'), 'logged with the file');

  const gfd = fs.openSync(goodFile, 'r');
  t.teardown(() => fs.closeSync(gfd));
  const r = await scanner.scan(gfd, { limitMs: 1_000, maxBytes: 1 << 20 });
  t.same(r.matches.map((m) => m.rule), ['crash_test_hello'], 'the rules were loaded again');
});
