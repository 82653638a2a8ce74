import t from 'tap';
import { ExclusionMatcher } from '../../src/scan/exclusions.js';

t.test('MDE wildcard and folder rules', async (t) => {
  const m = new ExclusionMatcher([
    { kind: 'path', path: '/var/log/', isDirectory: true, scope: 'epp' },
    { kind: 'path', path: '/srv/app.conf', isDirectory: false, scope: 'epp' },
    { kind: 'path', path: '/var/*/tmp', isDirectory: true, scope: 'epp' },
    { kind: 'path', path: '/data/file?.log', isDirectory: false, scope: 'epp' },
    { kind: 'path', path: '/opt/cache/*', isDirectory: false, scope: 'epp' },
    { kind: 'extension', extension: '.pdf', scope: 'epp' },
    { kind: 'process', name: 'cat', scope: 'epp' },
    { kind: 'process', name: '/usr/bin/rsync', scope: 'global' },
  ]);
  t.ok(m.matchFile('/var/log/syslog'), 'folder covers its files');
  t.ok(m.matchFile('/var/log/a/b/c'), 'and deeper');
  t.notOk(m.matchFile('/var/logs/x'), 'folder prefix is per component');
  t.ok(m.matchFile('/srv/app.conf'));
  t.notOk(m.matchFile('/srv/app.conf.bak'), 'file exclusion is exact');
  t.ok(m.matchFile('/var/abc/tmp/x'), '* inside substitutes one folder');
  t.notOk(m.matchFile('/var/abc/def/tmp/x'), '* inside does not cross /');
  t.ok(m.matchFile('/data/file1.log'));
  t.notOk(m.matchFile('/data/file12.log'), '? is exactly one character');
  t.ok(m.matchFile('/opt/cache/a/b/c'), '* at the end matches the rest of the path');
  t.ok(m.matchFile('/home/u/doc.pdf'));
  t.notOk(m.matchFile('/home/u/pdf'));
  t.notOk(m.matchFile('/home/u/doc.pdf.exe'));
  t.ok(m.matchFile(Buffer.from('/var/log/\xff\xfe', 'latin1')), 'Buffer paths (invalid UTF-8) match too');
  t.ok(m.coversDirectory('/var/log'));
  t.notOk(m.coversDirectory('/var'));
  t.ok(m.matchProcess('cat', null));
  t.ok(m.matchProcess(null, '/bin/cat'), 'a name matches the basename of the executable');
  t.ok(m.matchProcess('rsync', '/usr/bin/rsync'));
  t.notOk(m.matchProcess('rsync', '/usr/local/bin/rsync'), 'a path matches only that executable');
});
