// The attack: malware hidden at a path of ~12 KB (50 directories of 241 bytes), which the kernel
// accepts through relative operations although it is three times PATH_MAX, so that any code
// handing the whole path to open()/lstat()/unlink() fails with ENAMETOOLONG and the file stays.
// A real daemon's `mdatp scan custom` must find it, quarantine it (the file leaves its path),
// list it with its exact path, and restore it both to its original place and to a
// destination directory that is itself beyond PATH_MAX. A third file at ~97 KB (400 levels)
// shows there is no second, larger limit (the quarantine file's header holds the path).
import t from 'tap';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';
import { eicar, scanJson } from '../helpers/scan-daemon.js';
import { makeDeepDir, readDeep, writeDeep } from '../helpers/deep-path.js';
import { scratchMount } from '../helpers/scratch-fs.js';

interface ThreatJson {
  id: string;
  path: string;
  status: string;
}

t.test('a detection at a 12 KB path is quarantined, listed and restored', async (t) => {
  const root = scratchMount(t);
  const deep = makeDeepDir(path.join(root, 'tree'), 50);
  const dest = makeDeepDir(path.join(root, 'out'), 20);
  t.ok(Buffer.byteLength(deep) > 12_000, `path of ${Buffer.byteLength(deep)} bytes`);
  t.ok(Buffer.byteLength(dest) > 4096, 'the destination is beyond PATH_MAX too');
  const huge = `${makeDeepDir(path.join(root, 'tree', 'huge'), 400, 'H'.repeat(240))}/evil3.com`;
  t.ok(Buffer.byteLength(huge) > 96_000, `and one of ${Buffer.byteLength(huge)} bytes`);
  const one = `${deep}/evil.com`;
  const two = `${deep}/evil2.com`;
  writeDeep(one, eicar());
  writeDeep(two, eicar());
  writeDeep(huge, eicar());

  const d = await InProcDaemon.start(t);
  const r = await scanJson(d, ['custom', '--path', path.join(root, 'tree')]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.doc.threatsDetected, 3, 'all three found');

  const list = JSON.parse((await d.mdatp(['threat', 'list', '--output', 'json'])).stdout) as ThreatJson[];
  const byPath = new Map(list.map((x) => [x.path, x]));
  const histories: string[] = [];
  for (const x of list) histories.push(JSON.stringify((await d.api('GET', `/v1/threats/${x.id}`)).json.threat?.history?.slice(-1)));
  t.equal(byPath.get(one)?.status, 'quarantined', `quarantined: ${histories.join(' ')}`);
  t.equal(byPath.get(two)?.status, 'quarantined', 'the second one too');
  t.equal(readDeep(one), null, 'the file left its path');
  t.equal(readDeep(two), null, 'the second one too');
  t.equal(byPath.get(huge)?.status, 'quarantined', 'the 97 KB one too');
  t.equal(readDeep(huge), null, 'it left its path');
  const text = await d.mdatp(['threat', 'list']);
  t.ok(text.stdout.includes(one), 'the text list shows the whole path');

  const back = await d.mdatp(['threat', 'quarantine', 'restore', 'threat-id', '--id', byPath.get(one)?.id ?? 'none']);
  t.equal(back.code, 0, back.stderr);
  t.ok(back.stdout.includes(`Threat restored successfully to ${one}`), 'restored to its original place');
  t.same(readDeep(one), eicar(), 'same bytes at the original path');

  const moved = await d.mdatp(['threat', 'quarantine', 'restore', 'threat-id', '--id', byPath.get(two)?.id ?? 'none', '--destination-path', dest]);
  t.equal(moved.code, 0, moved.stderr);
  t.same(readDeep(`${dest}/evil2.com`), eicar(), 'restored into the deep destination');
  const far = await d.mdatp(['threat', 'quarantine', 'restore', 'threat-path', '--path', huge]);
  t.equal(far.code, 0, far.stderr.slice(0, 300));
  t.same(readDeep(huge), eicar(), 'the 97 KB one restored by its original path');
  const after = JSON.parse((await d.mdatp(['threat', 'list', '--output', 'json'])).stdout) as ThreatJson[];
  t.same(after.map((x) => x.status), ['restored', 'restored', 'restored']);
});
