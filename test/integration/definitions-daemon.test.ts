// Definitions through the running daemon: `mdatp connectivity test`, `mdatp definitions update`
// from a real loopback mirror through a real loopback proxy (signed package, trusted key from
// the managed configuration), detection with the new set, `definitions restore`, a tampered
// update refused with the current set kept, and custom drop-in definitions reloaded. The daemon
// runs in the test's process (test/helpers/inproc.ts); SIGHUP itself is daemon-signals' test.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { parseFields } from '../helpers/daemon.js';
import { InProcDaemon } from '../helpers/inproc.js';
import { forwardProxy, publisher, sample, staticServer, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('update, detect, restore, refuse tampering, reload custom definitions', async (t) => {
  const mirror = tmp(t, 'wdav-mirror-');
  const pub = publisher(t);
  const a = sample('DaemonA');
  const b = sample('DaemonB');
  writePackage(mirror, { 'a.hdb': a.hdb }, '1.0.1', pub.privateKey);
  const server = await staticServer(t, mirror);
  const proxy = await forwardProxy(t);
  const d = await InProcDaemon.start(t, {
    managed: {
      antivirusEngine: { offlineDefinitionUpdate: 'enabled', offlineDefinitionUpdateUrl: server.url, scanAfterDefinitionUpdate: false },
      cloudService: { automaticDefinitionUpdateEnabled: false, proxy: proxy.url },
      wdavdaemon: { definitionsTrustedKeysDir: pub.keysDir },
    },
  });
  const files = path.join(d.dir, 'files');
  fs.mkdirSync(files);
  const c = sample('DaemonC');
  const detected = async () => {
    // Detected files go to quarantine: put the samples back before every scan.
    fs.writeFileSync(path.join(files, 'a.bin'), a.data);
    fs.writeFileSync(path.join(files, 'b.bin'), b.data);
    fs.writeFileSync(path.join(files, 'c.bin'), c.data);
    const r = await d.mdatp(['scan', 'custom', '--path', files, '--output', 'json']);
    const doc = JSON.parse(r.stdout);
    return (doc.threats as { name: string }[]).map((x) => x.name).sort();
  };

  const conn = await d.mdatp(['connectivity', 'test']);
  t.equal(conn.code, 0, conn.stdout + conn.stderr);
  t.match(conn.stdout, /\[OK\]/);
  t.notMatch(conn.stdout, /\[ERROR\]/);

  t.same(await detected(), [], 'nothing detected on built-in definitions');
  const up = await d.mdatp(['definitions', 'update']);
  t.equal(up.code, 0, up.stderr);
  t.equal(up.stdout.trim(), 'Definitions updated successfully to version 1.0.1');
  t.ok(proxy.log.length > 0, 'the download went through the configured proxy');
  let h = parseFields((await d.mdatp(['health'])).stdout);
  t.equal(h.definitions_version, '"1.0.1"');
  t.equal(h.definitions_status, '"up_to_date"');
  t.same(await detected(), [a.name], 'the new set detects');
  const again = await d.mdatp(['definitions', 'update']);
  t.equal(again.stdout.trim(), 'Definitions are up to date (version 1.0.1)');

  writePackage(mirror, { 'b.hdb': b.hdb }, '1.0.2', pub.privateKey);
  t.equal((await d.mdatp(['definitions', 'update'])).code, 0);
  t.same(await detected(), [b.name], 'version 1.0.2 replaced 1.0.1');
  const details = JSON.parse((await d.mdatp(['health', '--details', 'definitions', '--output', 'json'])).stdout);
  t.equal(details.definitions_update_source_uri, server.url);
  t.equal(details.offline_definition_url_configured, true);
  t.equal(details.signature_counts.hashSignatures, 1);

  const restored = await d.mdatp(['definitions', 'restore']);
  t.equal(restored.stdout.trim(), 'Definitions restored to version 1.0.1');
  t.same(await detected(), [a.name], 'restore returns to the previous generation');

  // tampered: the manifest's sha256 no longer matches the file
  writePackage(mirror, { 'b.hdb': b.hdb }, '1.0.3', pub.privateKey);
  fs.appendFileSync(path.join(mirror, 'b.hdb'), '0123456789abcdef0123456789abcdef:5:Evil.Extra\n');
  const bad = await d.mdatp(['definitions', 'update']);
  t.not(bad.code, 0, 'a tampered package is refused');
  t.equal(bad.stderr.trim().split('\n').length, 1);
  h = parseFields((await d.mdatp(['health'])).stdout);
  t.equal(h.definitions_version, '"1.0.1"', 'the current set stays');
  t.equal(h.definitions_status, '"failed"');
  t.match(h.health_issues, /definitions update failed/);
  t.same(await detected(), [a.name]);

  // custom drop-in rules: reload, and a broken file is skipped with a health issue
  fs.writeFileSync(path.join(d.customDefs, 'local.hdb'), c.hdb);
  fs.writeFileSync(path.join(d.customDefs, 'broken.yar'), 'rule broken { condition: nonsense( }');
  const reload = await d.mdatp(['definitions', 'reload']);
  t.equal(reload.code, 0, reload.stderr);
  t.match(reload.stdout, /broken\.yar/);
  t.same(await detected(), [a.name, c.name].sort(), 'custom hash signature active');
  const issues = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout).health_issues.join('\n');
  t.match(issues, /broken\.yar/);
  fs.rmSync(path.join(d.customDefs, 'broken.yar'));
  await d.d.reload();
  t.notMatch(JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout).health_issues.join('\n'), /broken\.yar/, 'a reload (SIGHUP) clears the issue');
});

t.test('no update source configured: clear errors', async (t) => {
  const d = await InProcDaemon.start(t);
  const up = await d.mdatp(['definitions', 'update']);
  t.not(up.code, 0);
  t.match(up.stderr, /offlineDefinitionUpdateUrl|not configured|no .*source/i);
  const conn = await d.mdatp(['connectivity', 'test']);
  t.not(conn.code, 0);
  t.match(conn.stderr, /no definitions update source is configured/);
  const restore = await d.mdatp(['definitions', 'restore']);
  t.not(restore.code, 0);
  t.match(restore.stderr, /no previous definitions generation/);
});
