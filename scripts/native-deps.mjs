#!/usr/bin/env node
// scripts/native-deps.mjs — the system libraries the native addon needs, checked before it is
// built (binding.gyp runs it; so `npm ci` and `npm run build:native` both do). A missing
// required library stops the build with the exact command that installs it: the addon is never
// built silently without it (no slower fallback). One table: adding a library is one line here.
//   node scripts/native-deps.mjs check        exits 1 with instructions when one is missing
//   node scripts/native-deps.mjs cflags NAME   pkg-config --cflags of NAME ('' when absent)
//   node scripts/native-deps.mjs libs NAME     pkg-config --libs of NAME
import { execFileSync } from 'node:child_process';

/** name: pkg-config module; debian: the package that provides it; why: what the daemon loses without it. */
const REQUIRED = [
  { name: 'yara', debian: 'libyara-dev', why: 'YARA rules (libyara 4), with per-file scan time limits' },
  { name: 'libhs', debian: 'libvectorscan-dev', why: 'body signatures matched by Vectorscan (libyara would match them many times slower)' },
  { name: 'libseccomp', debian: 'libseccomp-dev', why: 'the system-call allowlist of the unprivileged scanner process (wdav-scanner)' },
  { name: 'libcrypto', debian: 'libssl-dev', why: 'MD5/SHA1/SHA256 of file content in the scanner process (OpenSSL libcrypto)' },
  { name: 'zlib', debian: 'zlib1g-dev', why: 'gzip and zip members proven clean in the scanner process' },
];

function pkgConfig(args) {
  try {
    return execFileSync('pkg-config', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (e) {
    if (e.code === 'ENOENT') return null; // no pkg-config at all
    return undefined; // module not found
  }
}

const [cmd, name] = process.argv.slice(2);
if (cmd === 'check') {
  const missing = REQUIRED.filter((r) => pkgConfig(['--exists', r.name]) !== '');
  if (missing.length === 0) {
    process.stdout.write('1');
    process.exit(0);
  }
  const packages = ['pkg-config', ...missing.map((m) => m.debian)].join(' ');
  process.stderr.write(
    [
      '',
      `wdavdaemon: the native addon cannot be built: ${missing.map((m) => `${m.name} (${m.why})`).join(', ')} not found by pkg-config.`,
      'Install the development packages, then run the build again:',
      '',
      `    sudo apt-get install -y ${packages}`,
      '',
      '(Debian/Ubuntu package names; elsewhere install the same libraries and their pkg-config files.)',
      '',
    ].join('\n'),
  );
  process.exit(1);
} else if (cmd === 'cflags' || cmd === 'libs') {
  process.stdout.write(pkgConfig([`--${cmd}`, name]) ?? '');
} else {
  process.stderr.write('usage: native-deps.mjs check | cflags NAME | libs NAME\n');
  process.exit(2);
}
