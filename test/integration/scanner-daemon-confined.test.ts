// The daemon's YARA runs in its scanner process (issue #12): health names the process, it is
// confined as the issue asks (uid ≠ 0, CapEff 0, Seccomp 2, NoNewPrivs 1, a child of the
// daemon), and a custom YARA rule's detection is made by it — the scanner, not the daemon,
// reads the file's bytes for YARA (its rchar grows by the file's size).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { TestDaemon, isRoot } from '../helpers/daemon.js';
import { procStatus } from '../helpers/scanner.js';
import { scanJson } from '../helpers/scan-daemon.js';

const RULE = 'rule confined_scanner_probe { strings: $a = "confined-scanner-probe-51c2" condition: $a }';

function rchar(pid: number): number {
  const m = /^rchar:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(m![1]);
}

t.test('the scanner process: confined, and where YARA runs', { skip: process.platform !== 'linux' ? 'Linux only' : !isRoot && 'needs root (setresuid to the scanner user)' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-confined-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'definitions.d'));
  fs.writeFileSync(path.join(dir, 'definitions.d', 'probe.yar'), RULE);
  const d = await TestDaemon.start(t, { dir });

  const h = await d.api('GET', '/v1/health?details=features');
  const s = h.json.fields.scanner;
  t.match(s, { state: 'running', restarts: 0, last_crash: null });
  t.type(s.pid, 'number');
  t.not(s.uid, 0, `runs as ${s.user} (${s.uid})`);
  const st = procStatus(s.pid);
  t.equal(st.PPid, String(d.proc.pid), 'a child of the daemon');
  t.notOk(st.Uid!.split(/\s+/).includes('0'), `no uid 0 (${st.Uid})`);
  t.equal(st.CapEff, '0000000000000000');
  t.equal(st.Seccomp, '2');
  t.equal(st.NoNewPrivs, '1');

  const file = path.join(d.dir, 'probe.txt');
  const body = Buffer.concat([Buffer.alloc(300_000, 'x'), Buffer.from('confined-scanner-probe-51c2')]);
  fs.writeFileSync(file, body);
  const before = rchar(s.pid);
  const r = await scanJson(d, ['custom', '--path', file]);
  t.match(r.doc, { threats: [{ name: 'confined_scanner_probe' }] }, JSON.stringify(r.doc));
  const read = rchar(s.pid) - before;
  t.ok(read >= body.length, `the scanner read the file (${read} bytes for ${body.length})`);
});
