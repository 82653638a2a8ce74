// A scan job with the real engine finds planted EICAR files (plain, nested, inside zip and
// tar.gz), counts files and bytes, and reports detections with their display path (raw bytes
// kept for names that are not valid UTF-8).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { eicar, gzip, makeTar, makeZip } from '../helpers/archive-fixtures.js';
import { tmpDir, openFdCount } from '../helpers/scan-walk.js';
import { makeJob } from '../helpers/scan-job.js';

t.test('planted detections in a tree', async (t) => {
  const root = tmpDir(t);
  fs.mkdirSync(path.join(root, 'a', 'b', 'c'), { recursive: true });
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(root, 'a', `clean${i}.txt`), `clean ${i}\n`.repeat(i + 1));
  fs.writeFileSync(path.join(root, 'plain.com'), eicar());
  fs.writeFileSync(path.join(root, 'a', 'b', 'c', 'nested.txt'), eicar());
  fs.writeFileSync(path.join(root, 'a', 'inside.zip'), makeZip([{ name: 'dir/evil.com', data: eicar() }]));
  fs.writeFileSync(path.join(root, 'a', 'b', 'inside.tar.gz'), gzip(makeTar([{ name: 'evil.com', data: eicar() }])));
  const badName = Buffer.concat([Buffer.from(path.join(root, 'bad')), Buffer.from([0xff]), Buffer.from('.com')]);
  fs.writeFileSync(badName, eicar());
  const fds = openFdCount();
  const h = makeJob([root], { batch: 7 });
  const s = await h.job.run();
  t.equal(s.state, 'succeeded');
  t.equal(s.filesScanned, 55);
  t.equal(s.threatsDetected, 5);
  t.equal(s.errors, 0);
  const byPath = new Map(h.detected.map((d) => [d.threat.path, d]));
  t.same([...byPath.keys()].sort(), [
    path.join(root, 'a', 'b', 'c', 'nested.txt'),
    path.join(root, 'a', 'b', 'inside.tar.gz'),
    path.join(root, 'a', 'inside.zip'),
    `${path.join(root, 'bad')}\\xff.com`,
    path.join(root, 'plain.com'),
  ].sort());
  t.match(byPath.get(path.join(root, 'a', 'inside.zip'))!.threat, { name: /EICAR/, memberPath: /evil\.com/ });
  t.same(byPath.get(`${path.join(root, 'bad')}\\xff.com`)!.rawPath, badName, 'raw path bytes for the threat service');
  t.ok(s.bytesScanned > 0);
  t.equal(openFdCount(), fds, 'every fd closed');
  t.equal(h.limiter.inUse, 0);
  t.ok(h.queue.stats().byLane.on_demand.enqueued > 0, 'files went through the on-demand lane');
});
