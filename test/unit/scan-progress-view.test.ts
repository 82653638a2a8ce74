// How mdatp shows a running scan: on a terminal a live cli-progress bar (files of files found,
// MB, MB/s, threats, current path, shortened to the terminal width); elsewhere one plain line
// every LINE_INTERVAL_MS at most.
import t from 'tap';
import { progressView, LINE_INTERVAL_MS } from '../../src/cli/commands/scan-progress.js';
import type { ScanProgress } from '../../src/scan/types.js';

function progress(over: Partial<ScanProgress>): ScanProgress {
  return {
    id: 'x', type: 'custom', state: 'running', paths: ['/p'], ignoreExclusions: false, requestedBy: 0,
    startedAt: new Date().toISOString(), endedAt: null, durationMs: 2000, filesScanned: 10, bytesScanned: 20 * 1024 * 1024,
    threatsDetected: 1, skipped: 0, errors: 0, details: { walk: {} as ScanProgress['details']['walk'], skippedBy: {}, errorsBy: {}, events: [] },
    message: null, filesFound: 40, currentPath: '/p/some/file.bin', ...over,
  };
}

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  const s = {
    isTTY,
    columns: 110,
    write(c: string) {
      out.push(String(c));
      return true;
    },
    cursorTo(_x: number, _y?: number, cb?: () => void) {
      cb?.();
      return true;
    },
    clearLine(_d: number, cb?: () => void) {
      cb?.();
      return true;
    },
    moveCursor(_x: number, _y: number, cb?: () => void) {
      cb?.();
      return true;
    },
    on() {
      return s;
    },
    removeListener() {
      return s;
    },
  };
  return { s: s as unknown as NodeJS.WriteStream, out };
}

t.test('plain lines, at most one per interval', async (t) => {
  const { s, out } = fakeStream(false);
  let now = 0;
  const v = progressView(s, () => now);
  v.update(progress({}));
  t.equal(out.length, 0, 'nothing before the first interval');
  now = LINE_INTERVAL_MS;
  v.update(progress({}));
  v.update(progress({}));
  t.equal(out.length, 1);
  t.equal(out[0], 'Scanning: 10 file(s) scanned, 20.0 MB, 10.0 MB/s, 1 threat(s) so far, at /p/some/file.bin\n');
  v.note('Cancelling');
  t.equal(out[1], 'Cancelling\n');
});

t.test('a live bar on a terminal', async (t) => {
  const { s, out } = fakeStream(true);
  const v = progressView(s);
  const long = `/p/${'x'.repeat(300)}/tail.bin`;
  v.update(progress({ currentPath: long }));
  v.update(progress({ filesScanned: 30, filesFound: 60, currentPath: long }));
  v.stop();
  const text = out.join('');
  t.match(text, /10\/40 files \| 20\.0 MB \| 10\.0 MB\/s \| threats: 1 \| …x+\/tail\.bin/);
  t.match(text, /30\/60 files/, 'the total grows with the files found');
  const line = text.split('\u001b[0K')[0]!.replace(/^.*\u001b\[1G/, '');
  t.equal(line.length, 109, 'the line fills the terminal width, not more');
  t.notOk(text.includes(long), 'the path is shortened to the terminal width');
});
