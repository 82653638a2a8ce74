// What the daemon reads back from <state>/definitions passes the trust rule too: a generation
// whose directory others can write is not used (the service falls back and health says why),
// and a compiled pattern cache others can write is never handed to the deserializer (the
// patterns are compiled instead, the problem is reported and nothing is written there).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DefinitionsService } from '../../src/definitions/service.js';
import { defaultLoadSet } from '../../src/definitions/generations-load.js';
import { loadNative } from '../../src/shared/native.js';
import { defsDir, loadSet } from '../helpers/engine-fixtures.js';
import { harness, publisher, sample, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('a generation others can write is not used', async (t) => {
  const pub = publisher(t);
  const share = tmp(t, 'wdav-share-');
  const g = sample('Gen');
  writePackage(share, { 'gen.hdb': g.hdb }, '1', pub.privateKey);
  const h = await harness(t, { update: { url: share, trustedKeyDirs: [pub.keysDir] } });
  await h.service.update();
  t.equal(await h.scan(g.data), g.name, 'the generation loads');
  await h.service.close();
  const gen = path.join(h.stateDir, 'definitions', 'gen-000001');
  fs.chmodSync(gen, 0o777);

  const again = new DefinitionsService({ stateDir: h.stateDir, load: defaultLoadSet(loadNative()) });
  t.teardown(() => again.close());
  await again.start();
  const st = again.status();
  t.equal(st.definitions_status, 'no_definitions', 'not used');
  t.match(st.issues.join('\n'), new RegExp(`gen-000001.*${gen} is writable by group and others.*chmod go-w ${gen}`), 'health says which and how to fix it');
});

t.test('a pattern cache others can write is not used', { skip: loadNative().features.vectorscanVersion ? false : 'needs Vectorscan' }, async (t) => {
  const cacheDir = path.join(tmp(t, 'wdav-cache-'), 'cache');
  const defs = defsDir(t, { 'a.ndb': `Probe.Sig-1-0:0:*:${randomBytes(8).toString('hex')}\n` });
  const first = await loadSet(t, [defs], { cacheDir });
  const file = first.report.patternDb!.cacheFile!;
  fs.chmodSync(file, 0o666);
  const before = fs.readFileSync(file);
  const second = await loadSet(t, [defs], { cacheDir });
  t.equal(second.report.patternDb!.cached, false, 'compiled, not loaded from the cache');
  t.match(second.report.problems.join('\n'), new RegExp(`pattern cache: not used: .*${file} is writable by group and others`), 'reported');
  t.ok(fs.readFileSync(file).equals(before) && (fs.statSync(file).mode & 0o777) === 0o666, 'nothing written there');
});
