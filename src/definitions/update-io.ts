// src/definitions/update-io.ts — what every update source shares: the UpdateSource contract,
// the coded failure, and streaming a download to a file with a cap and its SHA-256. Below both
// update-source.ts (which picks a source) and update-http.ts (one of them), so neither imports
// the other's module for these.
// Owns: these shapes and the capped copy. Must not: resolve URLs or decide what to download.
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import { WdavError } from '../shared/errors.js';

export interface FetchedFile {
  size: number;
  sha256: string;
}

export interface UpdateSource {
  /** The source as shown in health and errors. */
  readonly uri: string;
  readonly kind: 'http' | 'directory';
  /** Full URI of one file of the source. */
  describe(name: string): string;
  /** The whole file, or null when the source does not have it. Larger than maxBytes: an error. */
  fetchSmall(name: string, maxBytes: number, signal: AbortSignal): Promise<Buffer | null>;
  /** Up to n bytes from the start (an HTTP Range request), or null when absent. */
  fetchHead(name: string, n: number, signal: AbortSignal): Promise<Buffer | null>;
  /** Streams the file into `dest` (created, must not exist); null when absent. */
  fetchToFile(name: string, dest: string, maxBytes: number, signal: AbortSignal): Promise<FetchedFile | null>;
  close(): Promise<void>;
}

export function updateFailed(message: string, details?: Record<string, unknown>): WdavError {
  return new WdavError('WDAV_ERR_DEFINITIONS_UPDATE_FAILED', message, details);
}

/** Copies chunks into a new file with a cap, hashing as it goes; removes the file on failure. */
export async function streamToFile(chunks: AsyncIterable<Uint8Array>, dest: string, maxBytes: number, what: string, signal: AbortSignal): Promise<FetchedFile> {
  const fh = await fsp.open(dest, 'wx', 0o644);
  const h = crypto.createHash('sha256');
  let size = 0;
  try {
    for await (const c of chunks) {
      if (signal.aborted) throw updateFailed(`${what}: cancelled`);
      size += c.length;
      if (size > maxBytes) throw updateFailed(`${what}: larger than ${maxBytes} bytes`);
      h.update(c);
      await fh.write(c);
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(dest, { force: true });
    throw e;
  }
  await fh.close();
  return { size, sha256: h.digest('hex') };
}
