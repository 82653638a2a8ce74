// src/definitions/update-source.ts — where `offlineDefinitionUpdateUrl` points: an http(s) URL
// (update-http.ts, through the configured proxy) or a local directory (a path or file:// URL).
// Both give the same calls: small files into memory, the first bytes of a file, and a whole file
// streamed to disk with a size cap and its SHA-256 computed on the way.
// Owns: resolving the URL and the local-directory source. Must not: decide what to download.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WdavError, errorMessage } from '../shared/errors.js';
import { HttpSource, type HttpSettings } from './update-http.js';
import { type FetchedFile, type UpdateSource, streamToFile, updateFailed } from './update-io.js';

export type { FetchedFile, UpdateSource } from './update-io.js';
export { streamToFile, updateFailed } from './update-io.js';

/** Turns the configured value into a source; throws WDAV_ERR_CONFIG_INVALID for anything else. */
export function openUpdateSource(url: string, http: HttpSettings): UpdateSource {
  const value = url.trim();
  if (/^https?:\/\//iu.test(value)) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw new WdavError('WDAV_ERR_CONFIG_INVALID', `offlineDefinitionUpdateUrl '${value}' is not a valid URL`);
    }
    return new HttpSource(u, http);
  }
  if (/^file:\/\//iu.test(value)) return new DirectorySource(fileURLToPath(value));
  if (path.isAbsolute(value)) return new DirectorySource(value);
  throw new WdavError('WDAV_ERR_CONFIG_INVALID', `offlineDefinitionUpdateUrl '${value}' must be an http(s) URL, a file:// URL or an absolute directory path`);
}

class DirectorySource implements UpdateSource {
  readonly kind = 'directory' as const;
  readonly uri: string;

  constructor(private readonly dir: string) {
    this.uri = dir;
  }

  describe(name: string): string {
    return path.join(this.dir, name);
  }

  private async statOrNull(name: string): Promise<fs.Stats | null> {
    try {
      const st = await fsp.stat(this.describe(name));
      if (!st.isFile()) throw updateFailed(`${this.describe(name)}: not a regular file`);
      return st;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // A missing directory is a configuration problem, not "this file is absent".
        if (!fs.existsSync(this.dir)) throw updateFailed(`${this.dir}: directory does not exist`);
        return null;
      }
      if (code) throw updateFailed(`${this.describe(name)}: ${errorMessage(e)}`);
      throw e;
    }
  }

  async fetchSmall(name: string, maxBytes: number): Promise<Buffer | null> {
    const st = await this.statOrNull(name);
    if (!st) return null;
    if (st.size > maxBytes) throw updateFailed(`${this.describe(name)}: larger than ${maxBytes} bytes`);
    return fsp.readFile(this.describe(name));
  }

  async fetchHead(name: string, n: number): Promise<Buffer | null> {
    if (!(await this.statOrNull(name))) return null;
    const fh = await fsp.open(this.describe(name), 'r');
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async fetchToFile(name: string, dest: string, maxBytes: number, signal: AbortSignal): Promise<FetchedFile | null> {
    const st = await this.statOrNull(name);
    if (!st) return null;
    if (st.size > maxBytes) throw updateFailed(`${this.describe(name)}: ${st.size} bytes, above the ${maxBytes}-byte limit`);
    return streamToFile(fs.createReadStream(this.describe(name)), dest, maxBytes, this.describe(name), signal);
  }

  async close(): Promise<void> {}
}
