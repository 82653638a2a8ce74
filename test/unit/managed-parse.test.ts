import t from 'tap';
import { parseManagedConfig, ManagedConfigError } from '../../src/config/managed.js';

t.test('MDE schema to settings', async (t) => {
  const r = parseManagedConfig('/m.json', JSON.stringify({
    antivirusEngine: {
      enforcementLevel: 'on_demand',
      scanArchives: false,
      maximumOnDemandScanThreads: 4,
      exclusionsMergePolicy: 'admin_only',
      exclusions: [
        { $type: 'excludedPath', isDirectory: true, path: '/var/log/' },
        { $type: 'excludedFileExtension', extension: 'pdf' },
        { $type: 'excludedFileName', name: 'cat' },
      ],
      allowedThreats: ['EICAR-Test-File (not a virus)'],
      disallowedThreatActions: ['allow', 'restore'],
      threatTypeSettingsMergePolicy: 'admin_only',
      threatTypeSettings: [{ key: 'potentially_unwanted_application', value: 'block' }, { key: 'archive_bomb', value: 'off' }],
      unmonitoredFilesystems: ['nfs,fuse', 'cifs'],
      nonExecMountPolicy: 'mute',
      offlineDefinitionUpdate: 'enabled',
      offlineDefinitionUpdateUrl: 'http://127.0.0.1:8000/linux/production/',
      behaviorMonitoring: 'enabled',
    },
    cloudService: { automaticDefinitionUpdateEnabled: false, definitionUpdatesInterval: 3600, proxy: 'http://proxy:3128/', diagnosticLevel: 'optional' },
    features: { offlineDefinitionUpdateVerifySig: 'disabled', moduleLoad: 'disabled' },
    edr: { tags: [] },
    wdavdaemon: { rtpTimeoutMs: 2000, mystery: 1 },
  }));
  t.equal(r.values.get('enforcementLevel'), 'on_demand');
  t.equal(r.values.get('maximumOnDemandScanThreads'), 4);
  t.same(r.values.get('exclusions'), [
    { kind: 'path', path: '/var/log/', isDirectory: true, scope: 'epp' },
    { kind: 'extension', extension: '.pdf', scope: 'epp' },
    { kind: 'process', name: 'cat', scope: 'epp' },
  ]);
  t.same(r.values.get('threatTypeSettings'), { potentially_unwanted_application: 'block', archive_bomb: 'off' });
  t.same(r.values.get('unmonitoredFilesystems'), ['nfs', 'fuse', 'cifs'], 'MDE writes "nfs,fuse" in one string');
  t.equal(r.values.get('offlineDefinitionUpdate'), true);
  t.equal(r.values.get('offlineDefinitionUpdateVerifySig'), false);
  t.equal(r.values.get('automaticDefinitionUpdateEnabled'), false);
  t.equal(r.values.get('wdavdaemon.rtpTimeoutMs'), 2000);
  t.same(
    r.ignored.map((i) => `${i.key}:${i.reason}`).sort(),
    ['antivirusEngine.behaviorMonitoring:not_implemented', 'cloudService.diagnosticLevel:not_implemented', 'edr:not_implemented', 'features.moduleLoad:not_implemented', 'wdavdaemon.mystery:unknown'],
  );
});

t.test('legacy booleans, current key wins', async (t) => {
  t.equal(parseManagedConfig('f', '{"antivirusEngine":{"passiveMode":true}}').values.get('enforcementLevel'), 'passive');
  t.equal(parseManagedConfig('f', '{"antivirusEngine":{"enableRealTimeProtection":false}}').values.get('enforcementLevel'), 'on_demand');
  t.equal(parseManagedConfig('f', '{"antivirusEngine":{"enforcementLevel":"real_time","passiveMode":true}}').values.get('enforcementLevel'), 'real_time');
  t.equal(parseManagedConfig('f', '').values.size, 0, 'an empty file is an empty configuration');
});

t.test('refusals name the file, the key and the reason', async (t) => {
  const cases: [string, string | null, RegExp][] = [
    ['{', null, /invalid JSON/],
    ['"x"', null, /top level must be a JSON object/],
    ['{"antivirusEngine":[]}', 'antivirusEngine', /expected an object/],
    ['{"antivirusEngine":{"enforcementLevel":"off"}}', 'antivirusEngine.enforcementLevel', /expected one of/],
    ['{"antivirusEngine":{"maximumOnDemandScanThreads":0}}', 'antivirusEngine.maximumOnDemandScanThreads', /from 1 to 64/],
    ['{"antivirusEngine":{"scanArchives":"yes"}}', 'antivirusEngine.scanArchives', /true or false/],
    ['{"antivirusEngine":{"exclusions":[{"$type":"excludedPath","path":"rel"}]}}', 'antivirusEngine.exclusions', /exclusions\[0\]: path must be absolute/],
    ['{"antivirusEngine":{"exclusions":[{"$type":"excludedHash"}]}}', 'antivirusEngine.exclusions', /\$type must be/],
    ['{"antivirusEngine":{"threatTypeSettings":[{"key":"virus","value":"off"}]}}', 'antivirusEngine.threatTypeSettings', /key must be/],
    ['{"cloudService":{"proxy":"socks5://x"}}', 'cloudService.proxy', /http:\/\/ or https:\/\//],
    ['{"antivirusEngine":{"offlineDefinitionUpdateUrl":"ftp://x"}}', 'antivirusEngine.offlineDefinitionUpdateUrl', /unsupported URL scheme/],
    ['{"wdavdaemon":{"socketMode":"rwx"}}', 'wdavdaemon.socketMode', /octal mode/],
  ];
  for (const [text, key, reason] of cases) {
    try {
      parseManagedConfig('/etc/m.json', text);
      t.fail(`accepted ${text}`);
    } catch (e) {
      t.ok(e instanceof ManagedConfigError, text);
      t.equal((e as ManagedConfigError).key, key, `${text}: key`);
      t.match((e as ManagedConfigError).reason, reason, `${text}: reason`);
      t.equal((e as ManagedConfigError).file, '/etc/m.json');
    }
  }
});
