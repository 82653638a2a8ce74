// src/scanner/link.ts — the addon's scanner-link section, typed (native/core/scanner_link.h):
// the socket pair to a wdav-scanner and one request/reply exchange on a libuv thread.
// Must not: wrap behaviour, only type and check presence.
import type { NativeBinding } from '../shared/native.js';
import { WdavError } from '../shared/errors.js';

export interface ScannerLinkBinding {
  /** [brokerFd, childFd], both close-on-exec; the child's end goes to the scanner as fd 3. */
  scannerSocketPair(): [number, number];
  /** Sends `request` (and `passFd` by SCM_RIGHTS when >= 0), resolves with the reply packet;
   * rejects with errno ETIMEDOUT, EPIPE (the scanner is gone) or EMSGSIZE. */
  scannerExchange(fd: number, request: Buffer, passFd: number, timeoutMs: number): Promise<Buffer>;
  /** A sealed memfd (close-on-exec) holding `bytes`: how rule bundles reach the scanner. */
  scannerMemfd(bytes: Buffer): number;
}

export function scannerLink(native: NativeBinding): ScannerLinkBinding {
  if (typeof native.scannerSocketPair !== 'function' || typeof native.scannerExchange !== 'function' || typeof native.scannerMemfd !== 'function') {
    throw new WdavError('WDAV_ERR_NATIVE', 'the native addon has no scanner link: rebuild it (npm run build:native)');
  }
  return native as unknown as ScannerLinkBinding;
}
