// test/helpers/scanner.ts — a real wdav-scanner under a real ScannerProcess, confined to
// wdavtest-other (a user that is not root and not in mdatp), stopped at teardown.
import type { Test } from 'tap';
import fs from 'node:fs';
import { LoggerFactory } from '../../src/shared/logger.js';
import { loadNative } from '../../src/shared/native.js';
import { scannerLink } from '../../src/scanner/link.js';
import { ScannerProcess, SCANNER_EXECUTABLE, type ScannerOptions } from '../../src/scanner/process.js';
import { otherUser } from './users.js';

type T = Test;

export const scannerUser = otherUser();
export const skipScanner = scannerUser.skip || (fs.existsSync(SCANNER_EXECUTABLE) ? false : `${SCANNER_EXECUTABLE} is not built (npm run build:native)`);

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export async function startScanner(t: T, o: Partial<ScannerOptions> = {}): Promise<{ scanner: ScannerProcess; logs: LogLine[] }> {
  const logs: LogLine[] = [];
  const logger = new LoggerFactory({ level: 'info', priorityPrefix: false, destination: { write: (l: string) => void logs.push(JSON.parse(l) as LogLine) } }).child('scanner');
  const scanner = new ScannerProcess({ uid: scannerUser.uid!, gid: scannerUser.gid!, link: scannerLink(loadNative()), logger, ...o });
  t.teardown(() => scanner.stop());
  await scanner.start();
  return { scanner, logs };
}

/** /proc/PID/status as a map of its fields. */
export function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
