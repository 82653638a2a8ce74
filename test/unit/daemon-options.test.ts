import t from 'tap';
import { parseDaemonOptions } from '../../src/daemon/options.js';

t.test('flags win over WDAV_* variables, which win over defaults', async (t) => {
  const env = { WDAV_SOCKET: '/e/s.sock', WDAV_STATE_DIR: '/e/state', WDAV_RTP_BACKEND: 'chokidar', WDAV_RTP_PATHS: '/a:/b', WDAV_LOG_LEVEL: 'debug', WDAV_MANAGED_CONFIG: '/e/m.json', WDAV_CUSTOM_DEFINITIONS: '/e/defs', WDAV_SCANNER_USER: 'scan-e' };
  const fromEnv = parseDaemonOptions([], env);
  t.same(fromEnv, { socket: '/e/s.sock', stateDir: '/e/state', managedConfig: '/e/m.json', customDefinitions: '/e/defs', rtpBackend: 'chokidar', rtpPaths: ['/a', '/b'], logLevel: 'debug', scannerUser: 'scan-e' });
  const fromFlags = parseDaemonOptions(['--socket', '/f/s', '--rtp-backend', 'none', '--rtp-path', '/x', '--rtp-path', '/y', '--log-level', 'error', '--scanner-user', 'scan-f'], env);
  t.equal(fromFlags.socket, '/f/s');
  t.equal(fromFlags.rtpBackend, 'none');
  t.same(fromFlags.rtpPaths, ['/x', '/y']);
  t.equal(fromFlags.logLevel, 'error');
  t.equal(fromFlags.stateDir, '/e/state');
  t.equal(fromFlags.scannerUser, 'scan-f');
  t.equal(parseDaemonOptions([], {}).scannerUser, null, 'default: mdatp, chosen at start (src/scanner/identity.ts)');
});

t.test('bad values are clear errors', async (t) => {
  t.throws(() => parseDaemonOptions([], { WDAV_RTP_BACKEND: 'ebpf' }), /WDAV_RTP_BACKEND must be/);
  t.throws(() => parseDaemonOptions([], { WDAV_LOG_LEVEL: 'loud' }), /WDAV_LOG_LEVEL must be/);
});
