// src/definitions/sign-cli.ts — `npm run definitions:sign -- ...`: the publisher's tool.
//   --generate-key OUT                 new Ed25519 pair: OUT (private, 0600) and OUT's .pub.pem
//   --key PRIVATE.pem --dir DIR [--version V]   write DIR/manifest.json + DIR/manifest.json.sig
//   --verify DIR --keys KEYSDIR        check a package the way the daemon will
// Exit status 0 on success, 1 with a one-line error otherwise. Owns: argument handling only.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { errorMessage } from '../shared/errors.js';
import { loadPrivateKey, signPackage, writeKeyPair } from './sign.js';
import { loadTrustedKeys, verifyManifestSignature } from './update-keys.js';
import { MANIFEST_NAME, SIGNATURE_NAME, parseManifest, sha256Hex } from './manifest.js';

interface Opts {
  generateKey?: string;
  key?: string;
  dir?: string;
  version?: string;
  verify?: string;
  keys?: string;
}

function verify(dir: string, keysDir: string): string {
  const bytes = fs.readFileSync(path.join(dir, MANIFEST_NAME));
  const signer = verifyManifestSignature(bytes, fs.readFileSync(path.join(dir, SIGNATURE_NAME)), loadTrustedKeys([keysDir]));
  const m = parseManifest(bytes);
  for (const f of m.files) {
    const data = fs.readFileSync(path.join(dir, f.name));
    if (data.length !== f.size || sha256Hex(data) !== f.sha256) throw new Error(`${f.name}: size or SHA-256 differs from the manifest`);
  }
  return `package ${m.version} (${m.files.length} files) verified with ${signer}`;
}

export function main(argv: string[]): number {
  const program = new Command('definitions-sign')
    .description('Sign a wdavdaemon definitions package (manifest.json + manifest.json.sig)')
    .option('--generate-key <out>', 'create an Ed25519 key pair: <out> (private) and its .pub.pem')
    .option('--key <file>', 'Ed25519 private key (PEM) to sign with')
    .option('--dir <dir>', 'directory holding the definitions files to publish')
    .option('--version <version>', 'package version (default: YYYY.MMDD.HHMMSS, UTC)')
    .option('--verify <dir>', 'verify a signed package directory')
    .option('--keys <dir>', 'with --verify: directory of trusted public keys (*.pem)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
    const o = program.opts<Opts>();
    if (o.generateKey) {
      const { privateFile, publicFile } = writeKeyPair(o.generateKey);
      process.stdout.write(`private key: ${privateFile} (keep it secret, off the protected machines)\npublic key:  ${publicFile} (install it in the daemon's keys/ folder)\n`);
      return 0;
    }
    if (o.verify) {
      if (!o.keys) throw new Error('--verify needs --keys DIR');
      process.stdout.write(`${verify(o.verify, o.keys)}\n`);
      return 0;
    }
    if (!o.key || !o.dir) throw new Error('--key and --dir are required (or --generate-key OUT, or --verify DIR --keys DIR)');
    const m = signPackage(o.dir, loadPrivateKey(o.key), o.version);
    process.stdout.write(`signed ${m.files.length} file(s) as version ${m.version}: ${path.join(o.dir, MANIFEST_NAME)}, ${path.join(o.dir, SIGNATURE_NAME)}\n`);
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
    if (typeof code === 'string' && code.startsWith('commander.')) return 1; // commander already printed it
    process.stderr.write(`definitions-sign: ${errorMessage(e)}\n`);
    return 1;
  }
}

// Run only as a program, not when imported by tests.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = main(process.argv.slice(2));
}
