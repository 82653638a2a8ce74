// Exclusions configured with `mdatp exclusion` apply to on-demand scans (folder, file,
// extension, wildcard folder); `--ignore-exclusions` scans them anyway. unmonitoredFilesystems
// does not restrict on-demand scans.
import t from 'tap';
import path from 'node:path';
import { InProcDaemon } from '../helpers/inproc.js';
import { eicar, scanJson, writeTree } from '../helpers/scan-daemon.js';

t.test('exclusions honoured, then ignored', async (t) => {
  const d = await InProcDaemon.start(t, { managed: { antivirusEngine: { unmonitoredFilesystems: ['tmpfs', 'ext4', 'xfs', 'btrfs'] } } });
  const tree = path.join(d.dir, 'tree');
  const files = {
    'skipme/deep/e1.com': eicar(),
    'one-file.com': eicar(),
    'x.quarantinable': eicar(),
    'build-17/e4.com': eicar(),
    'scanned/e5.com': eicar(),
    'scanned/clean.txt': 'clean',
  };
  writeTree(tree, files);
  for (const args of [
    ['folder', 'add', '--path', path.join(tree, 'skipme')],
    ['file', 'add', '--path', path.join(tree, 'one-file.com')],
    ['extension', 'add', '--name', '.quarantinable'],
    ['folder', 'add', '--path', `${path.join(tree, 'build-*')}/`],
  ]) {
    const r = await d.mdatp(['exclusion', ...args]);
    t.equal(r.code, 0, `exclusion ${args.join(' ')}: ${r.stderr}`);
  }

  const honoured = await scanJson(d, ['custom', '--path', tree]);
  t.equal(honoured.code, 0);
  t.same(honoured.doc.threats.map((x) => path.relative(tree, x.path)), ['scanned/e5.com'], 'only the file outside every exclusion');
  t.equal(honoured.doc.filesScanned, 2);
  t.equal(honoured.doc.details.walk.excluded, 4, 'two folders pruned, one file, one extension');
  t.equal(honoured.doc.skipped, 4);

  writeTree(tree, { 'scanned/e5.com': eicar() }); // quarantined by the first scan
  const ignored = await scanJson(d, ['custom', '--path', tree, '--ignore-exclusions']);
  t.equal(ignored.code, 0);
  t.same(ignored.doc.threats.map((x) => path.relative(tree, x.path)).sort(), ['build-17/e4.com', 'one-file.com', 'scanned/e5.com', 'skipme/deep/e1.com', 'x.quarantinable']);
  t.equal(ignored.doc.details.walk.excluded, 0);
  const list = await d.api('GET', '/v1/scans');
  t.match(list.json.scans[0], { ignoreExclusions: true });
  t.match(list.json.scans[1], { ignoreExclusions: false });
});
