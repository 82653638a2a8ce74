// bench/engine/load-child.js — one definitions load in a fresh process (run by run.js with
// --expose-gc): prints JSON with the load time and the RSS growth it caused.
import { loadDefinitionSet } from '../../dist/definitions/loader.js';
import { loadNative } from '../../dist/shared/native.js';

const [defs, cacheDir] = process.argv.slice(2);
const native = loadNative();
globalThis.gc();
const rss0 = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const set = await loadDefinitionSet([defs], { native, cacheDir });
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const rssPeak = process.memoryUsage().rss;
globalThis.gc();
const rss1 = process.memoryUsage().rss;
const r = set.report;
console.log(
  JSON.stringify({
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    hashTableMB: Math.round(set.report.counts.hashTableBytes / 2 ** 20),
    rssGrowthMB: Math.round((rss1 - rss0) / 2 ** 20),
    rssPeakGrowthMB: Math.round((rssPeak - rss0) / 2 ** 20),
    patternDb: r.patternDb,
    counts: r.counts,
    malformed: r.malformed.length,
    problems: r.problems,
  }),
);
await set.close();
