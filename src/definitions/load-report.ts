// src/definitions/load-report.ts — what a definitions load tells `mdatp health --details
// definitions`: per file and per format loaded/skipped/malformed counts, skip reasons, the first
// few malformed lines as file:line, and file-level problems (unreadable file, YARA compile
// error, rejected patterns). Owns: counting and capping the examples. Must not: parse.

export interface FileReport {
  file: string;
  format: string;
  loaded: number;
  skipped: number;
  malformed: number;
  /** Why entries were skipped, e.g. { 'target 1': 12, offset: 3 }. */
  skipReasons: Record<string, number>;
  /** First few problems as `file:line: message`. */
  errors: string[];
}

export interface FormatCounts {
  loaded: number;
  skipped: number;
  malformed: number;
}

export interface LoadReport {
  files: FileReport[];
  formats: Record<string, FormatCounts>;
  /** First few malformed lines over all files, `file:line: message`. */
  malformed: string[];
  /** File-level failures (a whole file or rule unit left out). */
  problems: string[];
  bodyMatcher: 'vectorscan' | 'yara';
  bodyMatcherReason: string;
  patternDb?: { cached: boolean; ms: number; bytes: number; rejected: number; cacheFile?: string; cacheError?: string };
  counts: { hashSignatures: number; allowList: number; bodySignatures: number; yaraRuleFiles: number; ignoredNames: number; hashTableBytes: number };
  loadMs: number;
}

const PER_FILE = 5;
const OVERALL = 20;

export class ReportBuilder {
  readonly files: FileReport[] = [];
  readonly malformed: string[] = [];
  readonly problems: string[] = [];

  file(file: string, format: string): FileReport {
    const r: FileReport = { file, format, loaded: 0, skipped: 0, malformed: 0, skipReasons: {}, errors: [] };
    this.files.push(r);
    return r;
  }

  skip(r: FileReport, reason: string, n = 1): void {
    r.skipped += n;
    r.skipReasons[reason] = (r.skipReasons[reason] ?? 0) + n;
  }

  bad(r: FileReport, line: number | undefined, message: string): void {
    r.malformed++;
    const text = `${r.file}${line !== undefined ? `:${line}` : ''}: ${message}`;
    if (r.errors.length < PER_FILE) r.errors.push(text);
    if (this.malformed.length < OVERALL) this.malformed.push(text);
  }

  /** An entry that parsed but a matcher refused: counted as skipped, shown as an error. */
  refused(r: FileReport, line: number | undefined, reason: string, message: string): void {
    r.loaded--;
    this.skip(r, reason);
    const text = `${r.file}${line !== undefined ? `:${line}` : ''}: ${message}`;
    if (r.errors.length < PER_FILE) r.errors.push(text);
  }

  /** Adds counts gathered elsewhere (hash-tally.ts), line numbers shifted by lineOffset. */
  merge(r: FileReport, t: { loaded: number; malformed: number; skipReasons: Record<string, number>; errors: { line: number; message: string }[] }, lineOffset: number): void {
    r.loaded += t.loaded;
    for (const [reason, n] of Object.entries(t.skipReasons)) this.skip(r, reason, n);
    for (const e of t.errors) this.bad(r, e.line + lineOffset, e.message);
    r.malformed += t.malformed - t.errors.length;
  }

  problem(text: string): void {
    this.problems.push(text);
  }

  formats(): Record<string, FormatCounts> {
    const out: Record<string, FormatCounts> = {};
    for (const f of this.files) {
      const c = (out[f.format] ??= { loaded: 0, skipped: 0, malformed: 0 });
      c.loaded += f.loaded;
      c.skipped += f.skipped;
      c.malformed += f.malformed;
    }
    return out;
  }
}
