// An edited quarantine item is refused on restore (issue #11, finding 3). The attacker knows
// the plaintext of a quarantined file of theirs and, without the key, replaces its content by
// CTR bit-flipping and fixes up the header's sha256 and size; restore used to check the content
// only against that header, so root's restore wrote the attacker's bytes. Now the item fails
// authentication before anything is written: restore fails with a coded error, the refusal is
// logged and shown in health, and the item stays in quarantine.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';
import { detection, makeFile, seedThreats } from '../helpers/threats.js';
import { forgeQuarantineItem } from '../helpers/trust.js';

t.test('an edited item: restore refused before anything is written, reported', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-forged-edit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = makeFile(path.join(dir, 'files'), 'tool.sh', undefined, 0o755);
  const [id] = await seedThreats(path.join(dir, 'state'), [detection(f.path)]);
  const qfile = path.join(dir, 'state', 'quarantine', `${id}.q`);
  const payload = Buffer.from('#!/bin/sh\necho owned\n');
  fs.writeFileSync(qfile, forgeQuarantineItem(fs.readFileSync(qfile), f.data, payload, () => undefined));

  const d = await InProcDaemon.start(t, { dir });
  const dest = path.join(dir, 'restored');
  fs.mkdirSync(dest);
  const r = await d.mdatp(['threat', 'quarantine', 'restore', 'threat-id', '--id', id!, '--destination-path', dest, '--output', 'json']);
  t.not(r.code, 0, `restore refused: ${r.stdout}`);
  t.match(r.stderr, /authenticat/, 'the message says why');
  t.equal(r.stderr.trim().split('\n').length, 1, 'on one line');
  const api = await d.api('POST', '/v1/quarantine/restore', { id, destination: dest });
  t.equal(api.json.code, 'WDAV_ERR_QUARANTINE_UNAUTHENTIC', 'a coded error');
  t.same(fs.readdirSync(dest), [], 'nothing was written in the destination');
  t.notOk(fs.existsSync(f.path), 'nor at the original path');
  const got = JSON.parse((await d.mdatp(['threat', 'get', '--id', id!, '--output', 'json'])).stdout);
  t.equal(got.status, 'quarantined', 'the item stays in quarantine');
  const h = JSON.parse((await d.mdatp(['health', '--output', 'json'])).stdout);
  t.match(h.health_issues.join('\n'), new RegExp(`${id}.*authenticat`), 'health names the item');
  t.ok(d.logs.some((l) => l.event === 'threat_restored' && l.result === 'refused' && /authenticat/.test(String(l.reason))), 'the refusal is logged');
});
