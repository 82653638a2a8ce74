// A quarantine item planted in the quarantine directory is never adopted nor restored (issue
// #11, finding 3). The attacker knows the plaintext of an item (a file of theirs that was
// detected) and, without the key, turns it by CTR bit-flipping into a new item whose header
// names a root-owned path, uid 0 and a setuid mode. It is planted as an orphan (no database
// row), which reconciliation at start used to adopt from its header; root's restore then wrote
// a setuid-root file with the attacker's content. Now the item fails authentication: it is not
// adopted, it is reported (log and health), and restoring it is refused.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InProcDaemon } from '../helpers/inproc.js';
import { detection, makeFile, seedThreats } from '../helpers/threats.js';
import { forgeQuarantineItem } from '../helpers/trust.js';

t.test('a forged orphan item: not adopted, reported, never restored', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-forged-orphan-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = makeFile(path.join(dir, 'files'), 'mine.exe');
  const [id] = await seedThreats(path.join(dir, 'state'), [detection(f.path)]);
  const qdir = path.join(dir, 'state', 'quarantine');
  const item = fs.readFileSync(path.join(qdir, `${id}.q`));

  // The target: a root-owned directory, as /usr/local/bin would be.
  const sbin = path.join(dir, 'rootbin');
  fs.mkdirSync(sbin, { mode: 0o755 });
  const evil = path.join(sbin, 'helper');
  const payload = Buffer.from('#!/bin/sh\nid > /tmp/pwned\n');
  const forgedId = randomUUID();
  const forged = forgeQuarantineItem(item, f.data, payload, (h) => {
    Object.assign(h, { threatId: forgedId, path: evil, rawPath: null, uid: 0, gid: 0, mode: 0o4755 });
  });
  // Planted as root: models any way of writing there (the directory is 0700 root).
  fs.writeFileSync(path.join(qdir, `${forgedId}.q`), forged, { mode: 0o600 });

  const d = await InProcDaemon.start(t, { dir });
  const r = await d.mdatp(['threat', 'quarantine', 'restore', 'threat-id', '--id', forgedId]);
  t.not(r.code, 0, `restore refused: ${r.stdout}${r.stderr}`);
  t.notOk(fs.existsSync(evil), 'nothing was written at the forged path');
  const list = JSON.parse((await d.mdatp(['threat', 'quarantine', 'list', '--output', 'json'])).stdout) as { id: string }[];
  t.notOk(list.some((q) => q.id === forgedId), 'the forged item was not adopted');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.match(h.health_issues.join('\n'), new RegExp(`${forgedId}\\.q.*(authenticat|forged)`), 'health names the item');
  t.ok(
    d.logs.some((l) => l.level >= 50 && JSON.stringify(l).includes(`${forgedId}.q`)),
    'an error record names the item',
  );
  t.ok(fs.existsSync(path.join(qdir, `${forgedId}.q`)), 'the item is left for an administrator to look at');
});
