// bench/engine/run.js — engine benchmark (issue 3). Needs the addon and dist/:
//   npm run build:native && npx tsc -p tsconfig.json && node bench/engine/run.js
// Work directory (generated inputs, pattern caches, results.json): $WDAV_BENCH_DIR or
// /tmp/wdav-bench-engine. Each measurement runs in a fresh process. Prints figures against the
// targets: load <= 5 s with the cached pattern database and <= 300 MB RSS growth for 4,000,000
// MD5 + 500,000 SHA256 + 5,000 body signatures; >= 1 GB/s per core with 2,000 and >= 400 MB/s
// per core with 100,000 body signatures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const work = process.env.WDAV_BENCH_DIR ?? path.join(os.tmpdir(), 'wdav-bench-engine');

function child(script, args, gc = false) {
  const out = execFileSync(process.execPath, [...(gc ? ['--expose-gc'] : []), path.join(here, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

await generate(work);
const results = { when: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: os.loadavg() };
console.log(`${results.cpus} x ${results.cpu}, node ${results.node}, load average ${results.loadavg.map((x) => x.toFixed(2)).join(' ')}`);

const cache = path.join(work, 'cache-load');
fs.rmSync(cache, { recursive: true, force: true });
console.log('\n== load: 4,000,000 MD5 + 500,000 SHA256 + 5,000 body signatures ==');
results.loadCold = child('load-child.js', [path.join(work, 'defs'), cache], true);
console.log(`cold (compile patterns): ${results.loadCold.ms} ms (CPU ${results.loadCold.cpuMs} ms, all threads), RSS growth ${results.loadCold.rssGrowthMB} MB (peak ${results.loadCold.rssPeakGrowthMB} MB), pattern compile ${Math.round(results.loadCold.patternDb.ms)} ms`);
results.loadCached = child('load-child.js', [path.join(work, 'defs'), cache], true);
const lc = results.loadCached;
console.log(`cached pattern DB:       ${lc.ms} ms (CPU ${lc.cpuMs} ms, all threads), RSS growth ${lc.rssGrowthMB} MB (peak ${lc.rssPeakGrowthMB} MB), hash tables ${lc.hashTableMB} MB, pattern DB load ${Math.round(lc.patternDb.ms)} ms`);
console.log(`targets: <= 5000 ms ${lc.ms <= 5000 ? 'MET' : 'MISSED'}, <= 300 MB ${lc.rssGrowthMB <= 300 ? 'MET' : 'MISSED'}`);

for (const [name, dir, target] of [['2,000', 'body2k', 1024], ['100,000', 'body100k', 400]]) {
  console.log(`\n== throughput: ${name} body signatures, ${path.join(work, 'corpus')} ==`);
  const cacheDir = path.join(work, `cache-${dir}`);
  const key = `throughput_${dir}`;
  results[key] = {};
  for (const c of [1, 2]) {
    const r = child('throughput-child.js', [path.join(work, dir), cacheDir, path.join(work, 'corpus'), String(c)]);
    results[key][`c${c}`] = r;
    console.log(
      `concurrency ${c}: ${r.MB} MB in ${r.files} files, wall ${r.wallMBps} MB/s, per core ${r.perCoreMBps} MB/s (CPU ${r.cpuSec} s)` +
        `${c === 1 ? `; DB ${r.dbMB} MB, load ${r.loadMs} ms${r.cached ? ' (cached)' : ' (compiled)'}, rejected ${r.rejected}; threadpool hop ${r.hopUs} us, 1 MiB chunk scan ${r.chunk1MiBms} ms` : ''}`,
    );
  }
  const best = results[key].c1.perCoreMBps;
  console.log(`target >= ${target} MB/s per core: ${best >= target ? 'MET' : 'MISSED'} (${best} MB/s)`);
}
// The libyara fallback (no libhs), for comparison: one measured pass, concurrency 1.
console.log(`\n== fallback: 2,000 body signatures with libyara (WDAV_BODY_MATCHER=yara) ==`);
{
  const out = execFileSync(process.execPath, [path.join(here, 'throughput-child.js'), path.join(work, 'body2k'), path.join(work, 'cache-body2k'), path.join(work, 'corpus'), '1'], {
    encoding: 'utf8',
    env: { ...process.env, WDAV_BODY_MATCHER: 'yara', WDAV_BENCH_PASSES: '1' },
    maxBuffer: 1 << 24,
  });
  const r = (results.fallback_yara_body2k = JSON.parse(out.trim().split('\n').pop()));
  console.log(`concurrency 1: ${r.MB} MB, wall ${r.wallMBps} MB/s, per core ${r.perCoreMBps} MB/s (CPU ${r.cpuSec} s); load ${r.loadMs} ms (compile on the threadpool)`);
}
fs.writeFileSync(path.join(work, 'results.json'), JSON.stringify(results, null, 2));
console.log(`\nresults: ${path.join(work, 'results.json')}`);
