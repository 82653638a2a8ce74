// src/definitions/update.ts — one update attempt from offlineDefinitionUpdateUrl into a staging
// directory (our signed package when the source has manifest.json, else a ClamAV mirror), and
// `mdatp connectivity test`: one [OK]/[ERROR] line per endpoint (the proxy, then the source).
// Owns: choosing the source layout. Must not: switch generations (the service does, after the
// staged files loaded and validated).
import net from 'node:net';
import { errorMessage } from '../shared/errors.js';
import { MANIFEST_MAX_BYTES, MANIFEST_NAME } from './manifest.js';
import { fetchPackage } from './update-package.js';
import { fetchMirror } from './update-mirror.js';
import { openUpdateSource, updateFailed } from './update-source.js';
import type { FetchOutcome, InstalledInfo, UpdateSettings } from './update-types.js';

export async function fetchUpdate(settings: UpdateSettings, installed: InstalledInfo | null, staging: string, signal: AbortSignal): Promise<FetchOutcome> {
  if (!settings.url) throw updateFailed('no update source: offlineDefinitionUpdateUrl is not configured');
  const src = openUpdateSource(settings.url, settings.http);
  try {
    const manifest = await src.fetchSmall(MANIFEST_NAME, MANIFEST_MAX_BYTES, signal);
    if (manifest) return await fetchPackage(src, manifest, settings, installed, staging, signal);
    const mirror = await fetchMirror(src, settings, installed, staging, signal);
    if (mirror) return mirror;
    throw updateFailed(`${src.uri}: not a definitions source (neither ${MANIFEST_NAME} nor main.cvd found)`);
  } finally {
    await src.close();
  }
}

export interface ConnectivityResult {
  endpoint: string;
  ok: boolean;
  /** Why it failed, or what answered. */
  detail: string;
}

/** MDE's line format: `Testing connection with <endpoint> ... [OK]`. */
export function formatConnectivity(r: ConnectivityResult): string {
  return `Testing connection with ${r.endpoint} ... ${r.ok ? '[OK]' : `[ERROR] ${r.detail}`}`;
}

function tcpProbe(proxy: string, timeoutMs: number): Promise<ConnectivityResult> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(proxy);
    } catch {
      resolve({ endpoint: proxy, ok: false, detail: 'not a valid URL' });
      return;
    }
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const host = u.hostname.replace(/^\[|\]$/gu, '');
    const sock = net.connect({ host, port });
    const done = (ok: boolean, detail: string) => {
      sock.destroy();
      resolve({ endpoint: `proxy ${u.protocol}//${u.host}`, ok, detail });
    };
    sock.setTimeout(timeoutMs, () => done(false, `could not connect within ${timeoutMs} ms`));
    sock.once('connect', () => done(true, 'connected'));
    sock.once('error', (e) => done(false, errorMessage(e)));
  });
}

/**
 * Checks that the configured source answers (through the proxy when one is set). For the source
 * it asks for manifest.json, and for main.cvd's header when there is no manifest.
 */
export async function connectivityTest(settings: UpdateSettings, signal: AbortSignal = new AbortController().signal): Promise<ConnectivityResult[]> {
  const out: ConnectivityResult[] = [];
  if (!settings.url) return [{ endpoint: 'offlineDefinitionUpdateUrl', ok: false, detail: 'not configured' }];
  const isHttp = /^https?:\/\//iu.test(settings.url.trim());
  if (isHttp && settings.http.proxy) out.push(await tcpProbe(settings.http.proxy, settings.http.connectTimeoutMs));
  let src;
  try {
    src = openUpdateSource(settings.url, settings.http);
  } catch (e) {
    return [...out, { endpoint: settings.url, ok: false, detail: errorMessage(e) }];
  }
  try {
    const m = await src.fetchHead(MANIFEST_NAME, 1, signal);
    if (m) return [...out, { endpoint: src.describe(MANIFEST_NAME), ok: true, detail: 'definitions package' }];
    const cvd = await src.fetchHead('main.cvd', 11, signal);
    if (cvd?.toString('latin1') === 'ClamAV-VDB:') return [...out, { endpoint: src.describe('main.cvd'), ok: true, detail: 'ClamAV mirror' }];
    return [...out, { endpoint: src.uri, ok: false, detail: `reachable, but neither ${MANIFEST_NAME} nor a valid main.cvd is there` }];
  } catch (e) {
    return [...out, { endpoint: src.describe(MANIFEST_NAME), ok: false, detail: errorMessage(e).replace(`${src.describe(MANIFEST_NAME)}: `, '') }];
  } finally {
    await src.close();
  }
}
