// src/definitions/update-http.ts — the http(s) update source: undici with a static proxy
// (cloudService.proxy, undici ProxyAgent), at most 3 redirects, and bounded waits: connect,
// response headers, body idle (no byte for that long), and a total budget per request.
// Owns: HTTP requests of an update. Must not: write anywhere but the file it is given.
import { Agent, ProxyAgent, interceptors, request, type Dispatcher } from 'undici';
import { WdavError, errorMessage } from '../shared/errors.js';
import { appVersion } from '../shared/version.js';
import { type FetchedFile, type UpdateSource, streamToFile, updateFailed } from './update-io.js';

export interface HttpSettings {
  proxy: string | null;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyIdleTimeoutMs: number;
  totalTimeoutMs: number;
}

export const DEFAULT_HTTP_SETTINGS: Readonly<HttpSettings> = Object.freeze({
  proxy: null,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 60_000,
  totalTimeoutMs: 30 * 60_000,
});

export function makeDispatcher(s: HttpSettings): Dispatcher {
  const common = { headersTimeout: s.headersTimeoutMs, bodyTimeout: s.bodyIdleTimeoutMs };
  let base: Dispatcher;
  if (s.proxy) {
    let proxy: URL;
    try {
      proxy = new URL(s.proxy);
    } catch {
      throw new WdavError('WDAV_ERR_CONFIG_INVALID', `proxy '${s.proxy}' is not a valid URL`);
    }
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') throw new WdavError('WDAV_ERR_CONFIG_INVALID', `proxy '${s.proxy}' must be an http:// or https:// URL`);
    const token = proxy.username ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` : undefined;
    proxy.username = '';
    proxy.password = '';
    base = new ProxyAgent({ uri: proxy.toString(), ...(token ? { token } : {}), ...common, proxyTls: { timeout: s.connectTimeoutMs }, requestTls: { timeout: s.connectTimeoutMs } });
  } else {
    base = new Agent({ ...common, connect: { timeout: s.connectTimeoutMs } });
  }
  return base.compose(interceptors.redirect({ maxRedirections: 3 }));
}

/** A one-line reason for a failed request, with the timeout that fired when one did. */
export function describeHttpError(e: unknown, s: HttpSettings, total: AbortSignal): string {
  if (total.aborted) return `took longer than ${s.totalTimeoutMs} ms in total`;
  const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect within ${s.connectTimeoutMs} ms`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `no response within ${s.headersTimeoutMs} ms`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `download stalled: no data for ${s.bodyIdleTimeoutMs} ms`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name could not be resolved';
    default:
      return errorMessage(e);
  }
}

/** Stops reading a response; undici reports the abort as an 'error' event nobody else listens to. */
function hangUp(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

export class HttpSource implements UpdateSource {
  readonly kind = 'http' as const;
  readonly uri: string;
  private readonly base: URL;
  private dispatcher: Dispatcher | null = null;

  constructor(base: URL, private readonly s: HttpSettings) {
    this.base = new URL(base.toString());
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
    this.uri = this.base.toString();
  }

  describe(name: string): string {
    return new URL(name, this.base).toString();
  }

  private async get(name: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<Dispatcher.ResponseData | null> {
    this.dispatcher ??= makeDispatcher(this.s);
    const url = this.describe(name);
    const total = AbortSignal.timeout(this.s.totalTimeoutMs);
    try {
      const res = await request(url, {
        dispatcher: this.dispatcher,
        signal: AbortSignal.any([signal, total]),
        headers: { 'user-agent': `wdavdaemon/${appVersion()}`, ...headers },
      });
      if (res.statusCode === 404 || res.statusCode === 410) {
        await res.body.dump();
        return null;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump();
        throw updateFailed(`${url}: HTTP ${res.statusCode}`, { url, status: res.statusCode });
      }
      return res;
    } catch (e) {
      if (e instanceof WdavError) throw e;
      if (signal.aborted) throw updateFailed(`${url}: cancelled`);
      throw updateFailed(`${url}: ${describeHttpError(e, this.s, total)}`, { url });
    }
  }

  private checkLength(res: Dispatcher.ResponseData, url: string, maxBytes: number): void {
    const len = Number(res.headers['content-length']);
    if (Number.isFinite(len) && len > maxBytes) {
      hangUp(res);
      throw updateFailed(`${url}: ${len} bytes, above the ${maxBytes}-byte limit`);
    }
  }

  async fetchSmall(name: string, maxBytes: number, signal: AbortSignal): Promise<Buffer | null> {
    const res = await this.get(name, signal);
    if (!res) return null;
    const url = this.describe(name);
    this.checkLength(res, url, maxBytes);
    const parts: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of res.body) {
        n += (c as Buffer).length;
        if (n > maxBytes) throw updateFailed(`${url}: larger than ${maxBytes} bytes`);
        parts.push(c as Buffer);
      }
    } catch (e) {
      hangUp(res);
      if (e instanceof WdavError) throw e;
      throw updateFailed(`${url}: ${describeHttpError(e, this.s, signal)}`);
    }
    return Buffer.concat(parts, n);
  }

  async fetchHead(name: string, n: number, signal: AbortSignal): Promise<Buffer | null> {
    const res = await this.get(name, signal, { range: `bytes=0-${n - 1}` });
    if (!res) return null;
    // A server without Range support sends the whole file: read what is needed and hang up.
    const parts: Buffer[] = [];
    let got = 0;
    try {
      for await (const c of res.body) {
        parts.push(c as Buffer);
        got += (c as Buffer).length;
        if (got >= n) break;
      }
    } catch (e) {
      throw updateFailed(`${this.describe(name)}: ${describeHttpError(e, this.s, signal)}`);
    } finally {
      hangUp(res);
    }
    return Buffer.concat(parts, got).subarray(0, n);
  }

  async fetchToFile(name: string, dest: string, maxBytes: number, signal: AbortSignal): Promise<FetchedFile | null> {
    const res = await this.get(name, signal);
    if (!res) return null;
    const url = this.describe(name);
    this.checkLength(res, url, maxBytes);
    try {
      return await streamToFile(res.body, dest, maxBytes, url, signal);
    } catch (e) {
      hangUp(res);
      if (e instanceof WdavError) throw e;
      throw updateFailed(`${url}: ${describeHttpError(e, this.s, signal)}`);
    }
  }

  async close(): Promise<void> {
    const d = this.dispatcher;
    this.dispatcher = null;
    await d?.close().catch(() => undefined);
  }
}
