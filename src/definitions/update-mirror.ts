// src/definitions/update-mirror.ts — fetching from a ClamAV mirror layout: main.cvd (required),
// daily.cvd or else daily.cld (required), bytecode.cvd (optional). Headers are read first (an
// HTTP Range request) so an unchanged mirror costs three 512-byte reads; changed files are
// downloaded and their header and body MD5 verified (cvd.ts). The version is
// `<main>.<daily>.<bytecode>`. Owns: the mirror download sequence. Must not: switch generations.
import path from 'node:path';
import { CVD_HEADER_SIZE, type CvdHeader, checkCvd, parseCvdHeader } from './cvd.js';
import { type UpdateSource, updateFailed } from './update-source.js';
import { type FetchOutcome, type InstalledInfo, type UpdateSettings, checkNotOlder } from './update-types.js';
import { errorMessage } from '../shared/errors.js';

interface Probe {
  name: string;
  header: CvdHeader;
}

async function probe(src: UpdateSource, name: string, signal: AbortSignal): Promise<Probe | null> {
  const head = await src.fetchHead(name, CVD_HEADER_SIZE, signal);
  if (!head) return null;
  return { name, header: parseCvdHeader(head, src.describe(name)) };
}

function versionOf(main: CvdHeader, daily: CvdHeader, bytecode: CvdHeader | null): string {
  return `${main.version}.${daily.version}.${bytecode?.version ?? 0}`;
}

/** null when the source has no main.cvd (it is not a ClamAV mirror). */
export async function fetchMirror(
  src: UpdateSource,
  settings: UpdateSettings,
  installed: InstalledInfo | null,
  staging: string,
  signal: AbortSignal,
): Promise<FetchOutcome | null> {
  const main = await probe(src, 'main.cvd', signal);
  if (!main) return null;
  const daily = (await probe(src, 'daily.cvd', signal)) ?? (await probe(src, 'daily.cld', signal));
  if (!daily) throw updateFailed(`${src.uri}: ClamAV mirror without daily.cvd or daily.cld`);
  const bytecode = await probe(src, 'bytecode.cvd', signal);
  const offered = versionOf(main.header, daily.header, bytecode?.header ?? null);
  if (installed?.kind === 'clamav' && checkNotOlder(offered, installed.version) === 0) {
    return { kind: 'up_to_date', version: offered, source: src.uri };
  }
  const files = [main, daily, ...(bytecode ? [bytecode] : [])];
  const headers = new Map<string, CvdHeader>();
  let total = 0;
  for (const f of files) {
    const dest = path.join(staging, f.name);
    const got = await src.fetchToFile(f.name, dest, settings.maxFileBytes, signal);
    if (!got) throw updateFailed(`${src.describe(f.name)}: disappeared during the update`);
    total += got.size;
    if (total > settings.maxPackageBytes) throw updateFailed(`the mirror files exceed ${settings.maxPackageBytes} bytes in total`);
    try {
      headers.set(f.name, (await checkCvd({ path: dest })).header);
    } catch (e) {
      throw updateFailed(`${src.describe(f.name)}: ${errorMessage(e).replace(`${dest}: `, '')}`);
    }
  }
  const h = (n: string) => headers.get(n) ?? null;
  const version = versionOf(h('main.cvd')!, h(daily.name)!, h('bytecode.cvd'));
  const stime = Math.max(...[...headers.values()].map((x) => x.stime));
  return {
    kind: 'staged',
    meta: { kind: 'clamav', version, source: src.uri, created: stime > 0 ? new Date(stime * 1000).toISOString() : null },
    names: files.map((f) => f.name),
  };
}
