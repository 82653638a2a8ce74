// Native real-time verdicts with YARA rules loaded (issue #12): the scanner's content pass runs
// the set's rules too, so clean files are still allowed without JavaScript; a file a rule
// matches goes to JavaScript, which names the rule and refuses it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { health, opener, put, skipFanotify, startRtpDaemon, threats, tmpfs, until } from '../helpers/rtp.js';

const MARK = ['yara', 'native', 'path', '41c7'].join('-');

t.test('YARA rules loaded: clean files allowed natively, a match refused', { skip: skipFanotify, timeout: 60_000 }, async (t) => {
  const mount = tmpfs(t);
  const clean = Array.from({ length: 20 }, (_, i) => put(path.join(mount, `clean${i}.bin`), `${i} `.repeat(30_000)));
  const bad = put(path.join(mount, 'rule.txt'), `${'x'.repeat(70_000)} ${MARK} ${'y'.repeat(100)}`);
  const dir = fs.mkdtempSync('/tmp/wdav-native-yara-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'definitions.d'));
  fs.writeFileSync(path.join(dir, 'definitions.d', 'native.yar'), `rule native_path_rule { strings: $a = "${MARK}" condition: $a }`);
  const d = await startRtpDaemon(t, { dir, backend: 'fanotify', paths: [mount] });
  const before = (await health(d)).features.real_time_protection_native.nativeVerdicts;

  for (const f of clean) t.equal((await opener(f).done).ok, true, `${path.basename(f)} opens`);
  const after = (await health(d)).features;
  t.ok(after.real_time_protection_native.nativeVerdicts.clean - before.clean >= 20, `allowed by native verdicts (${JSON.stringify(after.real_time_protection_native.nativeVerdicts)})`);
  t.equal(after.real_time_protection_native.answeredByJs.allow, 0, 'none went through JavaScript');

  const r = await opener(bad).done;
  t.match(r, { ok: false, code: 'EPERM' }, 'the file the rule matches is refused');
  const found = await until(async () => (await threats(d)).find((x) => x.path === bad), 10_000);
  t.match(found, { name: 'native_path_rule' }, 'recorded under the rule name');
});
