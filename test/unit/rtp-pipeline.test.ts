// The RTP decision pipeline in-process, with the real engine (built-in EICAR), the real bounded
// queue and the real threat service on SQLite: exclusions and size come first, a verdict is
// cached per file version and generation, concurrent requests share one scan, a full real-time
// lane is refused, a deadline passed in the queue skips the scan, the policy is applied fresh
// (allow list by name), and a detection reaches the threat service with the fd, source and
// process — then the caller still owns the fd.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { ScanQueue, QueueFullError } from '../../src/scan/queue.js';
import { LoggerFactory } from '../../src/shared/logger.js';
import { DeadlinePassed, RtpPipeline } from '../../src/rtp/pipeline.js';
import { eventPath } from '../../src/rtp/paths.js';
import { eicar } from '../helpers/archive-fixtures.js';
import { openThreatEnv } from '../helpers/threats.js';

const logger = new LoggerFactory({ level: 'error', destination: { write() {} } }).child('rtp');

function identityOf(fd: number) {
  const st = fs.fstatSync(fd, { bigint: true });
  return { dev: st.dev, ino: st.ino, size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

t.test('pipeline with the real engine, queue and threat service', async (t) => {
  const env = await openThreatEnv(t);
  const engine = createEngine();
  const queue = new ScanQueue(2, 1);
  const p = new RtpPipeline({ config: env.config, queue, engine: () => engine, threats: () => env.svc, logger });
  const clean = path.join(env.files, 'clean.txt');
  const bad = path.join(env.files, 'eicar.com');
  fs.writeFileSync(clean, 'hello world');
  fs.writeFileSync(bad, eicar());
  const proc = p.process(process.pid);
  t.equal(proc.exe, fs.realpathSync(process.execPath), 'process identity from /proc');

  // exclusions and size
  t.equal(p.precheck(eventPath(Buffer.from(clean)), proc, 11), null);
  t.equal(p.precheck(eventPath(Buffer.from(clean)), proc, 0), 'empty');
  t.equal(p.sizeSkip(env.config.settings.wdavdaemon.rtpMaxFileSize + 1), 'too_large');
  env.config.addExclusion({ kind: 'path', path: env.files, isDirectory: true, scope: 'epp' });
  env.config.addExclusion({ kind: 'process', name: path.basename(proc.exe!), scope: 'epp' });
  p.refreshExclusions();
  t.equal(p.precheck(eventPath(Buffer.from(clean)), null, 11), 'excluded_path');
  t.equal(p.precheck(eventPath(Buffer.from('/elsewhere/x')), proc, 11), 'excluded_process');
  t.equal(p.precheck(eventPath(Buffer.from('/elsewhere/x')), null, 11), null);
  env.config.removeExclusion({ kind: 'path', path: env.files, isDirectory: true, scope: 'epp' });
  env.config.removeExclusion({ kind: 'process', name: path.basename(proc.exe!), scope: 'epp' });
  p.refreshExclusions();
  t.match(p.counters, { excludedPath: 1, excludedProcess: 1, empty: 1, tooLarge: 1 });

  // verdicts: scan, then cache
  const fd = fs.openSync(clean, 'r');
  t.teardown(() => fs.closeSync(fd));
  const id = identityOf(fd);
  t.match(await p.verdict(id, fd, { lane: 'real_time', origin: 'real_time', proc }), { kind: 'clean' });
  t.match(await p.verdict(id, fd, { lane: 'real_time', origin: 'real_time', proc }), { kind: 'clean' });
  t.match(p.counters, { scanned: 1, cacheHits: 1, clean: 2 });
  t.match(p.stats.rows(() => true), [{ id: process.pid, total_files_scanned: 1 }], 'the scan is in the statistics');

  // single flight: two requests for a new version share one scan
  fs.appendFileSync(clean, '!');
  const id2 = identityOf(fd);
  const [a, b] = await Promise.all([
    p.verdict(id2, fd, { lane: 'real_time', origin: 'real_time', proc }),
    p.verdict(id2, fd, { lane: 'real_time', origin: 'real_time', proc }),
  ]);
  t.same([a.kind, b.kind], ['clean', 'clean']);
  t.match(p.counters, { scanned: 2, joined: 1 });

  // a deadline already passed: no scan
  fs.appendFileSync(clean, '!');
  const late = await p.verdict(identityOf(fd), fd, { lane: 'real_time', origin: 'real_time', proc, deadline: Date.now() - 1 }).catch((e: unknown) => e);
  t.ok(late instanceof DeadlinePassed, 'rejected with DeadlinePassed');
  t.equal(p.counters.scanned, 2);

  // a full real-time lane is refused
  const blockers: (() => void)[] = [];
  for (let i = 0; i < 2; i++) void queue.tryAdd(() => new Promise<void>((r) => blockers.push(r)));
  const full = await p.verdict(identityOf(fd), fd, { lane: 'real_time', origin: 'real_time', proc }).catch((e: unknown) => e);
  t.ok(full instanceof QueueFullError, 'rejected with QueueFullError');
  while (queue.depth > 0) {
    blockers.splice(0).forEach((r) => r());
    await new Promise((r) => setImmediate(r));
  }

  // detection → policy → threat service (with the fd; the caller keeps it)
  const bfd = fs.openSync(bad, 'r');
  t.teardown(() => fs.closeSync(bfd));
  const v = await p.verdict(identityOf(bfd), bfd, { lane: 'real_time', origin: 'real_time', proc });
  t.match(v, { kind: 'detected', name: 'Virus:DOS/EICAR_Test_File' });
  if (v.kind !== 'detected') return;
  const j = await p.judge(v, bfd, process.pid);
  t.match(j, { decision: { deny: true, quarantine: true }, size: eicar().length });
  t.match(j.sha256, /^[0-9a-f]{64}$/);
  await p.report(v, { path: eventPath(Buffer.from(bad)), fd: bfd, pid: process.pid, source: 'real_time', blocked: true, judgement: j });
  const rec = env.svc.list().find((x) => x.path === bad);
  t.match(rec, { source: 'real_time', status: 'quarantined', process: { pid: process.pid } });
  t.ok(fs.fstatSync(bfd), 'the fd is still open: the caller closes it');
  t.notOk(fs.existsSync(bad), 'quarantined from the fd');

  // the allow list applies at decision time, even to a cached verdict
  env.svc.allow.add('name', 'Virus:DOS/EICAR_Test_File');
  const j2 = await p.judge(v, bfd, process.pid);
  t.match(j2.decision, { deny: false, reason: 'allowed_threat' });
  await queue.onIdle();
});
