// YARA runs in the scanner: rules are compiled there, a file reaches it only as an fd (a 0600
// root file its user could never open), a slow rule ends at the time limit with `timeout`, and
// a bundle that does not compile is refused with the file and line while the previous rules stay.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { skipScanner, startScanner } from '../helpers/scanner.js';

const HELLO = 'rule hello_marker { strings: $a = "wdav scanner hello marker" condition: $a }';
const SLOW = 'rule slow_gaps { strings: $a = { 61 [0-50000] 62 [0-50000] 63 } condition: $a }';

t.test('yara in the scanner', { skip: skipScanner }, async (t) => {
  const { scanner } = await startScanner(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-scanner-yara-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const put = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const scanFile = async (p: string, limitMs = 2_000) => {
    const fd = fs.openSync(p, 'r');
    try {
      return await scanner.scan(fd, { limitMs, maxBytes: 16 << 20, file: p });
    } finally {
      fs.closeSync(fd);
    }
  };

  const load = await scanner.loadYara([{ file: 'hello.yar', source: HELLO }, { file: 'slow.yar', source: SLOW }]);
  t.same([load.loaded, load.rules, load.errors], [2, 2, []]);

  const hit = await scanFile(put('hit.bin', 'xx wdav scanner hello marker yy'));
  t.equal(hit.status, 'ok');
  t.same(hit.matches.map((m) => m.rule), ['hello_marker'], 'a 0600 root file, scanned through its fd');
  t.same((await scanFile(put('clean.bin', 'nothing here'))).matches, []);

  const slowFile = put('slow.bin', Buffer.from(('a'.repeat(50) + 'b'.repeat(50)).repeat(20_000)));
  const t0 = Date.now();
  const slow = await scanFile(slowFile, 300);
  t.equal(slow.status, 'timeout', 'the time limit ends the slow rule');
  t.ok(Date.now() - t0 < 3_000, `ended in ${Date.now() - t0} ms`);

  await t.rejects(scanner.loadYara([{ file: 'broken.yar', source: 'rule broken {\n condition: nope(\n}' }]), {
    code: 'WDAV_ERR_DEFINITIONS_INVALID',
    message: /broken\.yar:\d+: .*previous rules stay/,
  });
  t.same((await scanFile(put('hit2.bin', 'wdav scanner hello marker'))).matches.map((m) => m.rule), ['hello_marker'], 'the previous rules still match');
});
