import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openThreatEnv } from '../helpers/threats.js';
import { nodeCommand } from '../helpers/daemon.js';
import { loadOrCreateKey, readQuarantineFile } from '../../src/threats/qfile.js';
import { integrityCheck } from '../../src/store/db.js';
import type { QuarantineRow } from '../../src/store/quarantine.js';

// The crash test (issue 6): a real process quarantining and restoring hundreds of files is
// killed with SIGKILL at random moments, many times; after each kill, startup reconciliation
// runs and every file must exist exactly once — byte-identical at its original path, in
// quarantine with its record, or at its restore destination (or nowhere when its record says it
// was deliberately removed from quarantine) — and the database must pass
// PRAGMA integrity_check. Runs the compiled code (npx tsc -p tsconfig.json first).
const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'quarantine-worker.mjs');
const ROUNDS = Number(process.env.WDAV_CRASH_ROUNDS ?? 32);
const BATCH = 300;

t.test('SIGKILL at random moments never loses or duplicates a quarantined file', async (t) => {
  const root = fs.mkdtempSync('/tmp/wdav-crash-');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const stateDir = path.join(root, 'state');
  const filesDir = path.join(root, 'files');
  const destDir = path.join(root, 'dest');
  fs.mkdirSync(filesDir);
  fs.mkdirSync(destDir);
  const ledger = new Map<string, Buffer>();
  let next = 1;
  const addBatch = () => {
    for (let i = 0; i < BATCH; i++, next++) {
      const name = `f${next}.bin`;
      // Sizes from a few bytes to 128 KiB so kills land inside copies as well as between steps.
      const data = randomBytes(1 + Math.floor(Math.random() ** 3 * 128 * 1024));
      fs.writeFileSync(path.join(filesDir, name), data, { mode: 0o640 });
      ledger.set(name, data);
    }
  };
  addBatch();

  const outcomes = new Map<string, number>();
  let killedBusy = 0;
  let runMs = 0;
  let checkMs = 0;
  const t0 = Date.now();
  for (let round = 1; round <= ROUNDS; round++) {
    if (fs.readdirSync(filesDir).length === 0) addBatch();
    const r0 = Date.now();
    const { code, killed, stderr } = await runAndKill(stateDir, filesDir, destDir);
    runMs += Date.now() - r0;
    t.not(code, 3, `round ${round}: the worker did not fail on its own (${stderr.trim().split('\n').pop() ?? ''})`);
    if (killed) killedBusy++;
    const c0 = Date.now();
    const actions = await checkState(t, round, stateDir, filesDir, destDir, ledger);
    checkMs += Date.now() - c0;
    for (const a of actions) outcomes.set(a, (outcomes.get(a) ?? 0) + 1);
  }
  const ms = Date.now() - t0;
  t.comment(`${ROUNDS} rounds in ${ms} ms (workers ${runMs} ms, checks ${checkMs} ms); ${ledger.size} files; killed while busy: ${killedBusy}; reconciliation outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.ok(killedBusy >= ROUNDS / 2, 'most rounds were killed while the worker was working');
  t.ok([...outcomes.values()].reduce((a, b) => a + b, 0) > 0, 'kills left half-finished operations that reconciliation had to resolve');
});

async function runAndKill(stateDir: string, filesDir: string, destDir: string): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  const [cmd, argv] = nodeCommand([WORKER, stateDir, filesDir, destDir]);
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => p.once('exit', (c) => resolve(c)));
  const ready = new Promise<void>((resolve) => p.stdout!.setEncoding('utf8').on('data', (c: string) => c.includes('ready') && resolve()));
  // Mostly during work; sometimes during startup (reconciliation itself can be interrupted).
  const early = Math.random() < 0.15;
  if (!early) await Promise.race([ready, exited]);
  await new Promise((r) => setTimeout(r, Math.random() * (early ? 900 : 350)));
  const alive = p.exitCode === null && p.signalCode === null;
  if (alive) p.kill('SIGKILL');
  const code = await exited;
  return { code, killed: alive && !early, stderr };
}

async function checkState(t: Tap.Test, round: number, stateDir: string, filesDir: string, destDir: string, ledger: Map<string, Buffer>): Promise<string[]> {
  const env = await openThreatEnv(null, { stateDir });
  try {
    const report = env.svc.reconcileReport;
    t.same(report.problems, [], `round ${round}: no problems`);
    const rows = env.db.prepare('SELECT * FROM quarantine').all() as QuarantineRow[];
    t.same(rows.filter((r) => r.state !== 'quarantined').map((r) => r.state), [], `round ${round}: no half-finished rows after reconciliation`);
    const qfiles = fs.readdirSync(env.svc.quarantineDir).sort();
    t.same(qfiles, rows.map((r) => r.file).sort(), `round ${round}: quarantine directory holds exactly the recorded files`);
    const key = loadOrCreateKey(stateDir);
    const inQuarantine = new Map<string, Buffer[]>();
    for (const r of rows) {
      const chunks: Buffer[] = [];
      await readQuarantineFile(path.join(env.svc.quarantineDir, r.file), key, async (c) => void chunks.push(c));
      const name = path.basename(r.original_path);
      inQuarantine.set(name, [...(inQuarantine.get(name) ?? []), Buffer.concat(chunks)]);
      const threat = env.svc.threats.get(r.threat_id);
      if (threat?.status !== 'quarantined') t.fail(`round ${round}: threat of ${name} has status ${threat?.status}`);
    }
    const removedPaths = new Set((env.db.prepare("SELECT path FROM threats WHERE status = 'removed'").all() as { path: string }[]).map((r) => r.path));
    const bad: string[] = [];
    for (const [name, data] of ledger) {
      const places: string[] = [];
      for (const [where, dir] of [['original', filesDir], ['restored', destDir]] as const) {
        const p = path.join(dir, name);
        if (!fs.existsSync(p)) continue;
        if (!fs.readFileSync(p).equals(data)) bad.push(`${name}: ${where} copy differs`);
        places.push(where);
      }
      for (const q of inQuarantine.get(name) ?? []) {
        if (!q.equals(data)) bad.push(`${name}: quarantined copy differs`);
        places.push('quarantine');
      }
      // A file deleted for good on purpose (quarantine remove) is nowhere, and its record says so.
      const n = Number(/\d+/.exec(name)![0]);
      const removed = places.length === 0 && n % 5 === 0 && n % 3 !== 0 && removedPaths.has(path.join(filesDir, name));
      if (places.length !== 1 && !removed) bad.push(`${name}: found ${places.length} times (${places.join(', ') || 'nowhere'})`);
    }
    t.same(bad.slice(0, 10), [], `round ${round}: each of ${ledger.size} files exists exactly once, byte-identical`);
    t.same(fs.readdirSync(destDir).filter((n) => !ledger.has(n)), [], `round ${round}: no restore temp files left`);
    t.equal(integrityCheck(env.db), 'ok', `round ${round}: PRAGMA integrity_check`);
    return report.actions.map((a) => a.outcome);
  } finally {
    await env.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  }
}
