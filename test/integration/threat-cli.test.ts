import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFields } from '../helpers/daemon.js';
import { InProcDaemon } from '../helpers/inproc.js';
import { seedThreats, makeFile, detection, sha256 } from '../helpers/threats.js';

// Every `mdatp threat ...` command against the daemon (in the test's process, over its real
// socket), whose state dir was seeded through
// ThreatService.handle (the scanners' path) while it was stopped.

t.test('mdatp threat: list, get, quarantine, restore (three forms), allowed, policy', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-threat-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = path.join(dir, 'files');
  const a = makeFile(files, 'home/a.exe');
  const b = makeFile(files, 'home/b.exe');
  const c = makeFile(files, 'home/c.bin');
  const m = makeFile(files, 'home/bundle.zip');
  const [idA, idB, idC, idM] = await seedThreats(path.join(dir, 'state'), [
    detection(a.path, { source: 'real_time', blocked: true, process: { pid: 77, name: 'bash', uid: 1000 } }),
    detection(b.path),
    detection(c.path, { name: 'PUA:Linux/Coinminer', threatType: 'potentially_unwanted_application' }),
    detection(m.path, { memberPath: 'inner/evil.com' }),
  ]);
  const d = await InProcDaemon.start(t, { dir });
  const ok = async (args: string[]) => {
    const r = await d.mdatp(args);
    t.equal(r.code, 0, `mdatp ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const fails = async (args: string[], message: RegExp, code = 1) => {
    const r = await d.mdatp(args);
    t.equal(r.code, code, `mdatp ${args.join(' ')} fails`);
    t.match(r.stderr, message);
    // Usage errors (exit 2) are commander's: the message, then the command's help.
    if (code !== 2) t.equal(r.stderr.trim().split('\n').length, 1, 'with one line');
    t.equal(r.stdout, '');
  };

  // list
  const list = await ok(['threat', 'list']);
  t.match(list.split('\n')[0], /^Id\s+Name\s+Type\s+Status\s+Detection time\s+Path$/);
  for (const id of [idA, idB, idC, idM]) t.match(list, id!);
  t.match(list, `${m.path}->inner/evil.com`);
  const json = JSON.parse(await ok(['threat', 'list', '--output', 'json']));
  t.same(json.map((x: { status: string }) => x.status).sort(), ['detected', 'quarantined', 'quarantined', 'quarantined']);
  // get
  const got = parseFields(await ok(['threat', 'get', '--id', idA!]));
  t.match(got, { id: `"${idA}"`, status: '"quarantined"', path: JSON.stringify(a.path), sha256: `"${sha256(a.data)}"`, process_id: '77', process_name: '"bash"', user_id: '1000', source: '"real_time"' });
  t.match(await ok(['threat', 'get', '--id', idA!]), /history:\n .*detected.*\n .*blocked\n .*quarantined/);
  t.match(JSON.parse(await ok(['threat', 'get', '--id', idA!, '--output', 'json'])), { id: idA, quarantine: { original_path: a.path, state: 'quarantined' } });
  await fails(['threat', 'get', '--id', 'no-such-id'], /^No threat with id "no-such-id"$/m);

  // quarantine list / add
  const ql = await ok(['threat', 'quarantine', 'list']);
  t.match(ql.split('\n')[0], /^Id\s+Name\s+Quarantined\s+Size\s+Original path$/);
  t.equal(JSON.parse(await ok(['threat', 'quarantine', 'list', '--output', 'json'])).length, 3);
  t.ok(fs.existsSync(c.path), 'the PUA was only reported (audit by default)');
  t.match(await ok(['threat', 'quarantine', 'add', '--id', idC!]), /Threat quarantined successfully/);
  t.notOk(fs.existsSync(c.path), 'now it is quarantined');
  await fails(['threat', 'quarantine', 'add', '--id', idC!], /already in quarantine/);
  await fails(['threat', 'quarantine', 'add', '--id', 'nope'], /No threat with id "nope"/);

  // restore: current forms, legacy form, refusals
  const dest = path.join(dir, 'restored');
  fs.mkdirSync(dest);
  t.match(await ok(['threat', 'quarantine', 'restore', 'threat-id', '--id', idA!, '--destination-path', dest]), `Threat restored successfully to ${path.join(dest, 'a.exe')}`);
  t.ok(fs.readFileSync(path.join(dest, 'a.exe')).equals(a.data));
  t.match(JSON.parse(await ok(['threat', 'quarantine', 'restore', 'threat-path', '--path', b.path, '--destination-path', dest, '--output', 'json'])), { destination: path.join(dest, 'b.exe'), threat: { id: idB, status: 'restored' } });
  fs.writeFileSync(path.join(dest, 'c.bin'), 'already here');
  await fails(['threat', 'quarantine', 'restore', '--id', idC!, '--path', dest], /refusing to overwrite .*c\.bin/);
  fs.symlinkSync(dest, path.join(dir, 'link'));
  await fails(['threat', 'quarantine', 'restore', 'threat-id', '--id', idC!, '--destination-path', path.join(dir, 'link')], /is a symbolic link/);
  const dest2 = path.join(dir, 'restored2');
  fs.mkdirSync(dest2);
  t.match(await ok(['threat', 'quarantine', 'restore', '--id', idC!, '--path', dest2]), /Threat restored successfully/, 'legacy --id --path form');
  t.equal(fs.readFileSync(path.join(dest, 'c.bin'), 'utf8'), 'already here', 'the existing file was never overwritten');
  await fails(['threat', 'quarantine', 'restore', 'threat-id', '--id', idC!, '--destination-path', dest2], /not in quarantine/);
  await fails(['threat', 'quarantine', 'restore', 'threat-path', '--path', '/never/quarantined', '--destination-path', dest2], /No quarantined file was at \/never\/quarantined/);
  await fails(['threat', 'quarantine', 'restore', '--path', dest2], /required option '--id <id>' not specified/, 2);

  // allowed
  const allowed = await ok(['threat', 'allowed', 'list']);
  for (const x of [a, b, c]) t.match(allowed, `File sha256: ${sha256(x.data)}`);
  t.match(await ok(['threat', 'allowed', 'add', '--name', 'EICAR-Test-File (not a virus)']), /Threat allowed successfully/);
  t.match(await ok(['threat', 'allowed', 'list']), 'Threat name: "EICAR-Test-File (not a virus)"');
  await fails(['threat', 'allowed', 'add', '--name', 'EICAR-Test-File (not a virus)'], /already allowed/);
  t.match(await ok(['threat', 'allowed', 'remove', '--name', 'EICAR-Test-File (not a virus)']), /removed from the allowed list/);
  await fails(['threat', 'allowed', 'remove', '--name', 'EICAR-Test-File (not a virus)'], /not on the local allow list/);
  t.match(JSON.parse(await ok(['threat', 'allowed', 'list', '--output', 'json'])), { names: [], hashes: [{}, {}, {}] });

  // remove, remove-all
  const e = makeFile(files, 'home/e.bin');
  t.match(await ok(['threat', 'quarantine', 'remove', '--id', idM!]), /removed from quarantine successfully/);
  await fails(['threat', 'quarantine', 'remove', '--id', idM!], /not in quarantine/);
  t.match(JSON.parse(await ok(['threat', 'get', '--id', idM!, '--output', 'json'])), { status: 'removed' });
  t.match(await ok(['threat', 'quarantine', 'remove-all']), /^0 threat\(s\) removed from quarantine/);
  t.ok(fs.existsSync(e.path));

  // policy
  t.match(await ok(['threat', 'policy', 'set', '--type', 'potentially_unwanted_application', '--action', 'block']), /Threat type policy configured successfully/);
  t.equal((await d.api('GET', '/v1/config')).json.settings.threatTypeSettings.potentially_unwanted_application, 'block');
  await fails(['threat', 'policy', 'set', '--type', 'virus', '--action', 'block'], /Allowed choices are potentially_unwanted_application, archive_bomb/, 2);

  // the administrator takes over: disallowed actions and admin_only policy
  d.writeManaged({ antivirusEngine: { disallowedThreatActions: ['allow', 'restore'], threatTypeSettingsMergePolicy: 'admin_only' } });
  for (let i = 0; i < 100 && (await d.api('GET', '/v1/config')).json.settings.disallowedThreatActions.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  await fails(['threat', 'allowed', 'add', '--name', 'X'], /disallowed the "allow" action/);
  await fails(['threat', 'quarantine', 'restore', 'threat-id', '--id', idM!, '--destination-path', dest2], /disallowed the "restore" action/);
  await fails(['threat', 'policy', 'set', '--type', 'archive_bomb', '--action', 'off'], /admin_only/);
  const refused = d.logs.filter((r) => r.event === 'threat_action_refused');
  t.ok(refused.length >= 2, 'refusals are logged events');

  // health and diagnostics
  t.equal(parseFields(await ok(['health'])).healthy, 'true', 'no fake health issue');
  const diag = await d.api('POST', '/v1/diagnostic', {});
  t.equal(diag.status, 200);
  t.ok(diag.json.files.includes('recent-detections.json'), 'diagnostic section');
  const events = d.logs.filter((r) => typeof r.event === 'string' && (r.event as string).startsWith('threat_'));
  t.ok(events.some((r) => r.event === 'threat_restored' && r.user === 0), 'restores logged with the caller');
});
