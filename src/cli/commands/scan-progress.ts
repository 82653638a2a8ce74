// src/cli/commands/scan-progress.ts — how `mdatp scan` shows a running scan: on a terminal a
// live bar (cli-progress: files scanned of files found so far, MB, MB/s, threats, current path);
// otherwise one plain line every LINE_INTERVAL_MS, so cron mail and CI logs stay short.
// Progress goes to stderr: stdout carries only the result (text summary or one JSON document).
// Owns rendering only. cli-progress (and its dependencies) is loaded only for a terminal: most
// scans run from scripts, and every mdatp start would pay for it.
import { createRequire } from 'node:module';
import type { ScanProgress } from '../../scan/types.js';

type CliProgress = typeof import('cli-progress');
const loadCliProgress = (): CliProgress => createRequire(import.meta.url)('cli-progress') as CliProgress;

export const LINE_INTERVAL_MS = 5_000;

export interface ProgressView {
  update(p: ScanProgress): void;
  note(line: string): void;
  stop(): void;
}

const MB = 1024 * 1024;
const BAR = 20;

function rate(p: ScanProgress): string {
  return p.durationMs > 0 ? (p.bytesScanned / MB / (p.durationMs / 1000)).toFixed(1) : '0.0';
}

function fit(path: string | null, width: number): string {
  if (!path) return '';
  if (width <= 4) return '';
  return path.length <= width ? path : `…${path.slice(path.length - width + 1)}`;
}

export function progressView(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProgressView {
  if (stream.isTTY) {
    const cliProgress = loadCliProgress();
    const bar = new cliProgress.SingleBar(
      {
        format: '{bar} {value}/{total} files | {mb} MB | {rate} MB/s | threats: {threats} | {path}',
        barsize: BAR,
        hideCursor: true,
        clearOnComplete: true,
        stream,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const done = p.filesScanned + p.skipped + p.errors;
        const total = Math.max(1, p.filesFound, done);
        const payload = { mb: (p.bytesScanned / MB).toFixed(1), rate: rate(p), threats: p.threatsDetected, path: '' };
        // The path gets what is left of the line after the bar and the numbers.
        const used = BAR + ` ${done}/${total} files | ${payload.mb} MB | ${payload.rate} MB/s | threats: ${payload.threats} | `.length;
        payload.path = fit(p.currentPath, (stream.columns ?? 120) - used - 1);
        if (!started) {
          bar.start(total, done, payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done, payload);
        }
      },
      note(line) {
        if (started) bar.stop();
        started = false;
        stream.write(`${line}\n`);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let last = now();
  return {
    update(p) {
      if (now() - last < LINE_INTERVAL_MS) return;
      last = now();
      stream.write(`Scanning: ${p.filesScanned} file(s) scanned, ${(p.bytesScanned / MB).toFixed(1)} MB, ${rate(p)} MB/s, ${p.threatsDetected} threat(s) so far${p.currentPath ? `, at ${p.currentPath}` : ''}\n`);
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
