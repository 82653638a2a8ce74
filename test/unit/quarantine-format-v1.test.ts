// Quarantine items of format 1 (before items carried an authentication tag) are never
// restored: anyone who knew a plaintext could have rewritten them. They stay listed, are
// reported once at start (a health issue with their number), restore refuses them with
// WDAV_ERR_QUARANTINE_UNAUTHENTIC before writing anything, and they can still be removed.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { openThreatEnv, makeFile, detection } from '../helpers/threats.js';
import { KEY_FILE, readHeader } from '../../src/threats/qfile.js';

/** Rewrites a format 2 item as format 1 did: magic WDAVQF01, v 1, the master key, no tag. */
async function asFormatOne(file: string, key: Buffer, plain: Buffer): Promise<void> {
  const h = await fs.promises.open(file, 'r');
  const { header } = await readHeader(h);
  await h.close();
  const iv = randomBytes(16);
  const { mac: _mac, ...rest } = header;
  const v1 = { ...rest, v: 1, keyId: createHash('sha256').update(key).digest('hex').slice(0, 16), iv: iv.toString('hex') };
  const json = Buffer.from(JSON.stringify(v1));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  const c = createCipheriv('aes-256-ctr', key, iv);
  fs.writeFileSync(file, Buffer.concat([Buffer.from('WDAVQF01'), len, json, c.update(plain), c.final()]));
}

t.test('format 1 items: reported, never restored, removable', async (t) => {
  const e = await openThreatEnv(t);
  const f = makeFile(e.files, 'old.bin');
  const { threatId } = await e.svc.handle(detection(f.path));
  const key = fs.readFileSync(path.join(e.stateDir, KEY_FILE));
  await asFormatOne(path.join(e.svc.quarantineDir, `${threatId}.q`), key, f.data);
  await e.close();

  const again = await openThreatEnv(t, { stateDir: e.stateDir });
  t.match(again.svc.healthIssues(), [/1 quarantined item\(s\) are of format 1.*cannot be restored/], 'reported at start');
  t.equal(again.svc.quarantined().length, 1, 'still listed');
  const dest = path.join(again.dir, 'out');
  fs.mkdirSync(dest);
  await t.rejects(again.svc.restore(threatId!, dest, 0), { code: 'WDAV_ERR_QUARANTINE_UNAUTHENTIC', message: /format 1/ });
  t.same(fs.readdirSync(dest), [], 'nothing written');
  await again.svc.quarantineRemove(threatId!, 0);
  t.equal(again.svc.get(threatId!).status, 'removed', 'it can be removed');
  t.same(again.svc.healthIssues(), [], 'the issues go with it');
});
