// The custom drop-in directory is an overlay: a broken custom file is left out with a health
// issue while the rest (custom and generation files) loads; reloadCustom() picks up fixes.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { harness, publisher, sample, tmp, writePackage } from '../helpers/update-fixtures.js';

t.test('broken custom file skipped with a health issue', async (t) => {
  const custom = tmp(t, 'wdav-custom-');
  const c = sample('Custom');
  fs.writeFileSync(path.join(custom, 'mine.hdb'), c.hdb);
  fs.writeFileSync(path.join(custom, 'broken.yar'), 'rule broken {\n  strings: $a = "x"\n  condition: $a and and\n}\n');
  fs.writeFileSync(path.join(custom, 'good.yar'), 'rule Wdav_Custom_Yara { strings: $a = "wdav-custom-yara-marker" condition: $a }\n');
  const pub = publisher(t);
  const share = tmp(t, 'wdav-share-');
  const g = sample('Gen');
  writePackage(share, { 'gen.hdb': g.hdb }, '1', pub.privateKey);
  const h = await harness(t, { customDir: custom, update: { url: share, trustedKeyDirs: [pub.keysDir] } });

  const st = h.service.status();
  t.equal(st.issues.length, 1);
  t.match(st.issues[0], new RegExp(`^custom definitions skipped: ${path.join(custom, 'broken.yar')}:3: `, 'u'));
  t.equal(await h.scan(c.data), c.name, 'the good custom hash file loaded');
  t.equal(await h.scan(Buffer.from('.. wdav-custom-yara-marker ..')), 'Wdav_Custom_Yara', 'the good YARA file loaded');

  await h.service.update();
  t.equal(await h.scan(g.data), g.name, 'generation files load with the overlay');
  t.equal(await h.scan(c.data), c.name, 'the overlay survives an update');
  t.equal(h.service.status().issues.length, 1, 'the issue persists until fixed');

  fs.writeFileSync(path.join(custom, 'broken.yar'), 'rule Wdav_Fixed { strings: $a = "wdav-fixed-marker" condition: $a }\n');
  const c2 = sample('Custom2');
  fs.writeFileSync(path.join(custom, 'more.hdb'), c2.hdb);
  t.same(await h.service.reloadCustom(), { issues: [] });
  t.same(h.service.status().issues, []);
  t.equal(await h.scan(Buffer.from('wdav-fixed-marker')), 'Wdav_Fixed');
  t.equal(await h.scan(c2.data), c2.name);
  t.equal(await h.scan(g.data), g.name, 'the generation is unchanged by a custom reload');
  t.same(h.changes, ['start:none', 'update:1', 'custom:1']);
});

t.test('a custom hash file of nothing but garbage is reported; a missing custom dir is fine', async (t) => {
  const custom = tmp(t, 'wdav-custom-');
  fs.writeFileSync(path.join(custom, 'junk.hdb'), 'this is not\na hash database\n');
  const h = await harness(t, { customDir: custom });
  t.match(h.service.status().issues, [/custom definitions skipped: .*junk\.hdb: no usable signature \(2 malformed/u]);
  const none = await harness(t, { customDir: '/nonexistent/wdav/definitions.d' });
  t.same(none.service.status().issues, []);
  t.equal(none.service.status().definitions_status, 'no_definitions');
});
