// bench/scanner/start.mjs — what the scanner benchmarks share: the checkout built, the addon,
// and a real ScannerProcess confined to `uid`/`gid` (logs discarded), started.
import path from 'node:path';
import { ROOT, buildCheckout } from '../common.mjs';

export async function startScanner(log, { uid, gid, threads }) {
  if (process.getuid() !== 0) throw new Error('run as root: the scanner drops to --uid itself');
  buildCheckout(log, 'scanner/process.js');
  const { loadNative } = await import(path.join(ROOT, 'dist/shared/native.js'));
  const { scannerLink } = await import(path.join(ROOT, 'dist/scanner/link.js'));
  const { ScannerProcess } = await import(path.join(ROOT, 'dist/scanner/process.js'));
  const { LoggerFactory } = await import(path.join(ROOT, 'dist/shared/logger.js'));
  const native = loadNative();
  const logger = new LoggerFactory({ level: 'error', priorityPrefix: false, destination: { write: () => {} } }).child('scanner');
  const scanner = new ScannerProcess({ uid, gid, link: scannerLink(native), logger, ...(threads ? { threads } : {}) });
  await scanner.start();
  return { native, scanner };
}
