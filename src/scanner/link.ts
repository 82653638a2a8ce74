// src/scanner/link.ts — the addon's scanner-link section, typed (native/core/scanner_link.h):
// the socket pair to a wdav-scanner, requests sent without blocking, replies polled on the
// event loop.
// Must not: wrap behaviour, only type and check presence.
import type { NativeBinding } from '../shared/native.js';
import { WdavError } from '../shared/errors.js';

export interface ScannerLinkBinding {
  /** [brokerFd, childFd], both close-on-exec; the child's end goes to the scanner as fd 3. */
  scannerSocketPair(): [number, number];
  /** Sends `request` (and `passFd` by SCM_RIGHTS when >= 0) without blocking: 0, or an errno
   * (EAGAIN: the socket is full; EPIPE: the scanner is gone; EMSGSIZE). */
  scannerSend(fd: number, request: Buffer, passFd: number): number;
  /** Calls `onPackets` with every reply waiting whenever `fd` is readable; once with (null,
   * errno) when the scanner closed its end (EPIPE) or broke the protocol (EMSGSIZE). Does not
   * keep the process alive. `fd` stays open: close it after that last call or after unlisten. */
  scannerListen(fd: number, onPackets: (packets: Buffer[] | null, errno?: number) => void): ScannerListener;
  scannerUnlisten(l: ScannerListener): void;
  /** A sealed memfd (close-on-exec) holding `bytes`: how rule bundles and in-memory data reach the scanner. */
  scannerMemfd(bytes: Buffer): number;
  /** The native client of the scanner's content pass (native/core/content_link.h): one per supervisor. */
  contentLink(): ContentLink;
  /** Takes the broker's ends of a scanner's fds 4 and 5 (real-time and on-demand requests): native scans go to that scanner from now on. */
  contentAttach(link: ContentLink, realTimeFd: number, onDemandFd: number): void;
  /** Fails the native scans in flight and closes the socket (the scanner then ends). */
  contentDetach(link: ContentLink): void;
  /** contentDetach for good (the supervisor stops): native scans stop waiting for a scanner. */
  contentClose(link: ContentLink): void;
  contentStats(link: ContentLink): ContentStats;
  /** The named files that were in the content pass when the last scanner went away (complete after contentDetach). */
  contentLostFiles(link: ContentLink): string[];
  /** A sealed memfd holding the scan plan (native/core/plan_bundle.h) for kLoadPlan. */
  scanPlanBundle(plan: object): number;
  /** Native scans on `plan` go to the scanner behind `link` (plan `id` there); null: here again. */
  scanPlanRemote(plan: object, link: ContentLink | null, id: number): void;
}

declare const listenerBrand: unique symbol;
export type ScannerListener = { readonly [listenerBrand]: true };
/** The content pass as the broker sees it: batches and files answered, requests that got no records, scanners attached, requests in flight now. */
export interface ContentStats {
  batches: number;
  files: number;
  failures: number;
  attaches: number;
  inFlight: number;
}

declare const contentBrand: unique symbol;
export type ContentLink = { readonly [contentBrand]: true };

export function scannerLink(native: NativeBinding): ScannerLinkBinding {
  if (typeof native.scannerSocketPair !== 'function' || typeof native.scannerSend !== 'function' || typeof native.scannerListen !== 'function' || typeof native.scannerMemfd !== 'function' || typeof native.contentLink !== 'function' || typeof native.scanPlanBundle !== 'function') {
    throw new WdavError('WDAV_ERR_NATIVE', 'the native addon has no scanner link: rebuild it (npm run build:native)');
  }
  return native as unknown as ScannerLinkBinding;
}
