// Which key files are trusted: Ed25519 public keys only; private keys, other algorithms,
// files others could change (the trust rule) and garbage are refused with a reason.
import t from 'tap';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadTrustedKeys, verifyManifestSignature } from '../../src/definitions/update-keys.js';
import { encodeSignature } from '../../src/definitions/manifest.js';
import { tmp } from '../helpers/update-fixtures.js';

t.test('key folder rules', async (t) => {
  const dir = tmp(t, 'wdav-keys-');
  const good = crypto.generateKeyPairSync('ed25519');
  const pem = (k: crypto.KeyObject, type: 'spki' | 'pkcs8') => k.export({ type, format: 'pem' }).toString();
  fs.writeFileSync(path.join(dir, 'a-good.pem'), pem(good.publicKey, 'spki'));
  fs.writeFileSync(path.join(dir, 'b-private.pem'), pem(good.privateKey, 'pkcs8'));
  fs.writeFileSync(path.join(dir, 'c-rsa.pem'), pem(crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey, 'spki'));
  fs.writeFileSync(path.join(dir, 'd-open.pem'), pem(crypto.generateKeyPairSync('ed25519').publicKey, 'spki'));
  fs.chmodSync(path.join(dir, 'd-open.pem'), 0o666);
  fs.writeFileSync(path.join(dir, 'd-group.pem'), pem(crypto.generateKeyPairSync('ed25519').publicKey, 'spki'));
  fs.chmodSync(path.join(dir, 'd-group.pem'), 0o664);
  fs.writeFileSync(path.join(dir, 'e-junk.pem'), 'hello');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a key file name');
  const k = loadTrustedKeys([dir, path.join(dir, 'missing-dir')]);
  t.same(k.keys.map((x) => path.basename(x.file)), ['a-good.pem']);
  t.equal(k.problems.length, 5);
  t.match(k.problems.join('\n'), /b-private\.pem: holds a PRIVATE key/u);
  t.match(k.problems.join('\n'), /c-rsa\.pem: a rsa key; only Ed25519 keys are used/u);
  t.match(k.problems.join('\n'), /d-open\.pem: is writable by group and others \(mode 0666\): not trusted; fix: chmod go-w/u);
  t.match(k.problems.join('\n'), /d-group\.pem: is writable by group \(mode 0664\): not trusted/u, 'group-writable too');
  t.match(k.problems.join('\n'), /e-junk\.pem: not a PEM public key/u);

  const manifest = Buffer.from('{"exact":"bytes"}\n');
  const sig = crypto.sign(null, manifest, good.privateKey);
  t.equal(verifyManifestSignature(manifest, encodeSignature(sig), k), path.join(dir, 'a-good.pem'));
  t.equal(verifyManifestSignature(manifest, sig, k), path.join(dir, 'a-good.pem'), 'raw 64-byte signature file');
  t.throws(() => verifyManifestSignature(Buffer.from('{"exact":"bytes"} \n'), encodeSignature(sig), k), { code: 'WDAV_ERR_SIGNATURE_INVALID' });
});
