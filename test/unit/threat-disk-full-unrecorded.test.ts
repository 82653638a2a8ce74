// A quarantine that fails for lack of space (a real ENOSPC: the state directory's tmpfs is
// nearly full) and whose failure cannot be recorded either (the database answers SQLITE_FULL
// when the status is written): the file stays at its path, the caller is told why, and both
// conditions stand as health issues — the detection's own record, committed just before, must
// not count as "the database is writable again". A later quarantine clears both.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openThreatEnv, detection } from '../helpers/threats.js';
import { fillUp, scratchMount } from '../helpers/scratch-fs.js';
import { LoggerFactory } from '../../src/shared/logger.js';
import { StorageHealth } from '../../src/store/storage-health.js';

const isRoot = process.getuid?.() === 0;

t.test('ENOSPC on the copy, SQLITE_FULL on the record of it', { skip: !isRoot && 'needs root: mounts a tmpfs' }, async (t) => {
  const stateDir = path.join(scratchMount(t, '8m'), 'state');
  const logger = new LoggerFactory({ level: 'error', priorityPrefix: false, destination: { write: () => undefined } }).child('storage');
  const storage = new StorageHealth({ stateDir, logger });
  const e = await openThreatEnv(t, { stateDir, storage });
  const big = randomBytes(1024 * 1024);
  const file = path.join(e.files, 'big.bin');
  fs.writeFileSync(file, big);
  const filler = path.join(stateDir, 'filler');
  fillUp(filler, 256 * 1024);

  const setStatus = e.svc.threats.setStatus.bind(e.svc.threats);
  e.svc.threats.setStatus = (...args) => {
    if (args[1] === 'quarantine_failed') throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return setStatus(...args);
  };
  const out = await e.svc.handle(detection(file));
  t.equal(out.action, 'quarantine_failed');
  t.same(fs.readFileSync(file), big, 'the file stays at its path');
  t.same(fs.readdirSync(e.svc.quarantineDir), [], 'no copy, no temp file left');
  const failed = e.logs.find((r) => r.event === 'threat_quarantine_failed');
  t.match(failed?.reason, /no room for the copy in .*\(ENOSPC.*the file was left in place; the outcome could not be recorded \(SQLITE_FULL/, 'the event says both');
  t.match(storage.issues(), [/cannot write the quarantine .*ENOSPC/, /cannot write the database .*SQLITE_FULL/], 'both stand');

  e.svc.threats.setStatus = setStatus;
  fs.rmSync(filler);
  const again = await e.svc.quarantineAdd(out.threatId!, null);
  t.equal(again.status, 'quarantined');
  t.notOk(fs.existsSync(file));
  t.same(storage.issues(), [], 'both cleared by the successful quarantine');
});
