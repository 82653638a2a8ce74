// A managed configuration file that others can write is not obeyed (issue #11, finding 4): a
// mdatp_managed.json left writable by others (0666), then one owned by another user, into which
// that user wrote passive mode, an exclusion of `/`, EICAR allowed and a 0666 socket, used to be
// applied live. Now the file is ignored, the previous good configuration stays (EICAR is still
// found by a custom scan), health names the file and the fix, and once fixed the next reload
// applies it.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { TestDaemon, parseFields, waitFor } from '../helpers/daemon.js';
import { eicar } from '../helpers/rtp.js';
import { otherUid, skipOther, writeAsOther } from '../helpers/trust.js';

const ATTACK = {
  antivirusEngine: {
    enforcementLevel: 'passive',
    exclusions: [{ $type: 'excludedPath', isDirectory: true, path: '/' }],
    allowedThreats: ['Virus:DOS/EICAR_Test_File'],
  },
  wdavdaemon: { socketMode: '0666' },
};

t.test('a managed file others can write is ignored; the good configuration stays', { skip: skipOther }, async (t) => {
  const d = await TestDaemon.start(t, { managed: { antivirusEngine: { scanArchives: false } } });
  fs.chmodSync(d.dir, 0o755); // the other user must reach the file
  const health = () => d.mdatp(['health']).then((r) => parseFields(r.stdout));
  const files = path.join(d.dir, 'files');
  fs.mkdirSync(files);
  const detects = async () => {
    fs.writeFileSync(path.join(files, 'eicar.com'), eicar());
    const r = await d.mdatp(['scan', 'custom', '--path', files, '--output', 'json']);
    return (JSON.parse(r.stdout).threats as { name: string }[]).map((x) => x.name);
  };
  t.same(await detects(), ['Virus:DOS/EICAR_Test_File'], 'detected before');

  // 1. Left writable by others: another user writes the attack into it.
  fs.chmodSync(d.managedFile, 0o666);
  writeAsOther(d.managedFile, JSON.stringify(ATTACK));
  let h = await waitFor(health, (x) => /managed\.json/.test(x.health_issues ?? ''));
  t.match(h.health_issues, d.managedFile, 'health names the file');
  t.match(h.health_issues, /writable by (group and )?others/, 'and what is wrong');
  t.match(h.health_issues, `chmod go-w ${d.managedFile}`, 'and the fix');
  await new Promise((r) => setTimeout(r, 1500)); // several polls of the file
  h = await health();
  t.equal(h.enforcement_level, '"real_time"', 'not passive');
  t.same(await detects(), ['Virus:DOS/EICAR_Test_File'], 'EICAR still detected: no exclusion of /, not allowed');
  t.equal(fs.statSync(d.socket).mode & 0o777, 0o660, 'the socket mode did not change');
  t.ok(d.logs.some((l) => l.level >= 50 && String(l.file) === d.managedFile && /writable/.test(JSON.stringify(l))), 'an error record names the file');

  // 2. Owned by another user, not writable by others: still not trusted.
  fs.chownSync(d.managedFile, otherUid!, otherUid!);
  fs.chmodSync(d.managedFile, 0o644);
  h = await waitFor(health, (x) => /chown/.test(x.health_issues ?? ''));
  t.match(h.health_issues, new RegExp(`owned by uid ${otherUid}`), 'a foreign owner is named');
  t.match(h.health_issues, `chown root ${d.managedFile}`, 'with the fix');
  t.equal(h.enforcement_level, '"real_time"', 'still not passive');

  // 3. Fixed: the next reload applies it.
  fs.chownSync(d.managedFile, 0, 0);
  h = await waitFor(health, (x) => x.healthy === 'true');
  t.equal(h.healthy, 'true', 'the issue is gone');
  t.equal(h.enforcement_level, '"passive" [managed]', 'the fixed file applies');
});
