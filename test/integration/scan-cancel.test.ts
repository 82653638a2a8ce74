// Cancelling: Ctrl-C in the mdatp that started a scan cancels it (exit 130, "Scan was
// cancelled"); `mdatp scan cancel` from another client cancels a running scan; both end as
// Cancelled in `mdatp scan list`. Cancelling when nothing runs is a clear error.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { MDATP_BIN, TestDaemon, foreignNode } from '../helpers/daemon.js';

function bigTree(root: string): void {
  // Work for many seconds at no disk cost: 40 sparse files of 2 GiB (read as zeros).
  fs.mkdirSync(root, { recursive: true });
  for (let i = 0; i < 40; i++) {
    const p = path.join(root, `big${i}.bin`);
    fs.writeFileSync(p, '');
    fs.truncateSync(p, 2 ** 31);
  }
}

t.test('Ctrl-C in mdatp cancels its scan', async (t) => {
  const d = await TestDaemon.start(t);
  const tree = path.join(d.dir, 'tree');
  bigTree(tree);
  const [cmd, argv] = foreignNode([MDATP_BIN, '--socket', d.socket, 'scan', 'custom', '--path', tree]);
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  p.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  // Wait until the daemon has the scan, then interrupt. Bounded generously: on a loaded
  // machine the CLI's start alone can take seconds, and a SIGINT before it has installed its
  // handler would just kill it.
  let running = false;
  for (let i = 0; i < 1200 && !running && p.exitCode === null; i++) {
    const l = await d.api('GET', '/v1/scans');
    running = Boolean(l.json.running?.length);
    if (!running) await new Promise((r) => setTimeout(r, 25));
  }
  t.ok(running, `the scan started (mdatp: ${stderr.trim()})`);
  p.kill('SIGINT');
  const code = await new Promise((r) => p.on('close', r));
  t.equal(code, 130, 'exit status 130');
  t.match(stdout, /Scan was cancelled/);
  t.match(stderr, /Scan was cancelled/);
  const list = await d.mdatp(['scan', 'list', '--output', 'json']);
  const scans = JSON.parse(list.stdout);
  t.equal(scans[0].state, 'cancelled');
  t.ok(scans[0].filesScanned < 40, `stopped early (${scans[0].filesScanned} of 40)`);
  const text = await d.mdatp(['scan', 'list']);
  t.match(text.stdout, /state\s+: "Cancelled"/);
});

t.test('mdatp scan cancel from another client', async (t) => {
  const d = await TestDaemon.start(t);
  const tree = path.join(d.dir, 'tree');
  bigTree(tree);
  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [tree] });
  t.equal(started.status, 201);
  const id = started.json.scan.id as string;
  const c = await d.mdatp(['scan', 'cancel']);
  t.equal(c.code, 0, c.stderr);
  t.equal(c.stdout.trim(), 'Scan cancelled');
  let state = 'running';
  for (let i = 0; i < 400 && state === 'running'; i++) {
    state = (await d.api('GET', `/v1/scans/${id}`)).json.scan.state;
    if (state === 'running') await new Promise((r) => setTimeout(r, 25));
  }
  t.equal(state, 'cancelled');
  const none = await d.mdatp(['scan', 'cancel']);
  t.equal(none.code, 1);
  t.match(none.stderr, /No on-demand scan is running/);
  const unknown = await d.api('POST', '/v1/scans/cancel', { id: '00000000-0000-0000-0000-000000000000' });
  t.equal(unknown.status, 404);
  t.equal(unknown.json.code, 'WDAV_ERR_SCAN_NOT_FOUND');
});

t.test('daemon shutdown cancels a running scan and records it', async (t) => {
  const d = await TestDaemon.start(t);
  const tree = path.join(d.dir, 'tree');
  bigTree(tree);
  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [tree] });
  const id = started.json.scan.id as string;
  await new Promise((r) => setTimeout(r, 100));
  await d.stop();
  t.equal(d.exitCode, 0);
  d.spawn();
  await d.ready();
  const one = await d.api('GET', `/v1/scans/${id}`);
  t.equal(one.json.scan.state, 'cancelled');
  t.match(one.json.scan.message, /daemon is stopping/);
});
