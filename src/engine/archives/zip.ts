// src/engine/archives/zip.ts — zip access for the walker through yauzl over a ByteSource (random
// access; the scanned fd is read positionally and never closed): the central directory, the
// overlapping-entries check (Fifield-style bombs) and one decompressing stream per entry.
// Owns: yauzl usage. Must not: count members or bytes against limits (the walker does).
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { ByteSource } from './source.js';
import { ArchiveFormatError } from './limits.js';

export interface ZipMember {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  encrypted: boolean;
  /** yauzl inflates method 8 and copies method 0; other methods cannot be scanned. */
  supported: boolean;
  directory: boolean;
  localHeaderOffset: number;
  /** Lower bound of the bytes this entry occupies from its local header on. */
  span: number;
  entry: yauzl.Entry;
}

// yauzl's RandomAccessReader is a runtime export the bundled type definitions leave out.
const RandomAccessReaderBase = (yauzl as unknown as { RandomAccessReader: new () => yauzl.RandomAccessReader }).RandomAccessReader;

class SourceReader extends RandomAccessReaderBase {
  constructor(private readonly src: ByteSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.src.chunks(start, end), { objectMode: false });
  }
  // yauzl reads the central directory through read(); the default would create a stream per call.
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    this.src.readInto(buffer, offset, length, position).then(
      (n) => callback(null, n),
      (e: Error) => callback(e),
    );
  }
}

export interface OpenZip {
  entryCount: number;
  /** Every entry of the central directory, at most max of them (the walker checks entryCount first). */
  members(max: number): Promise<ZipMember[]>;
  open(member: ZipMember): Promise<Readable>;
  close(): void;
}

export function openZip(src: ByteSource): Promise<OpenZip> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: yauzl would reject the whole archive over one '../' name, which would let
    // a hostile archive hide its other members from the scanner. Names are only displayed here.
    const opts = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true };
    yauzl.fromRandomAccessReader(new SourceReader(src), src.size, opts, (err, zip) => {
      if (err) return reject(new ArchiveFormatError(`zip: ${err.message}`));
      resolve(wrap(zip));
    });
  });
}

function wrap(zip: yauzl.ZipFile): OpenZip {
  let failure: Error | null = null;
  zip.on('error', (e: Error) => {
    failure = e;
  });
  return {
    entryCount: zip.entryCount,
    members(max) {
      return new Promise((resolve, reject) => {
        const out: ZipMember[] = [];
        const onEntry = (entry: yauzl.Entry) => {
          out.push(describe(entry));
          if (out.length >= max) return finish();
          zip.readEntry();
        };
        const onError = (e: Error) => {
          cleanup();
          reject(new ArchiveFormatError(`zip: ${e.message}`));
        };
        const finish = () => {
          cleanup();
          resolve(out);
        };
        const cleanup = () => {
          zip.off('entry', onEntry);
          zip.off('end', finish);
          zip.off('error', onError);
        };
        if (failure) return reject(new ArchiveFormatError(`zip: ${failure.message}`));
        zip.on('entry', onEntry);
        zip.on('end', finish);
        zip.on('error', onError);
        zip.readEntry();
      });
    },
    open(member) {
      return new Promise((resolve, reject) => {
        zip.openReadStream(member.entry, (err, stream) => {
          if (err) return reject(new ArchiveFormatError(`zip: ${member.name}: ${err.message}`));
          resolve(stream);
        });
      });
    },
    close() {
      zip.close();
    },
  };
}

function describe(entry: yauzl.Entry): ZipMember {
  const raw = entry.fileName as unknown as Buffer | string;
  const name = Buffer.isBuffer(raw) ? raw.toString((entry.generalPurposeBitFlag & 0x800) !== 0 ? 'utf8' : 'latin1') : raw;
  return {
    name,
    compressedSize: entry.compressedSize,
    uncompressedSize: entry.uncompressedSize,
    encrypted: (entry.generalPurposeBitFlag & 0x1) !== 0,
    supported: entry.compressionMethod === 0 || entry.compressionMethod === 8,
    directory: name.endsWith('/') && entry.uncompressedSize === 0,
    localHeaderOffset: entry.relativeOffsetOfLocalHeader,
    span: 30 + entry.fileNameLength + entry.compressedSize,
    entry,
  };
}

/**
 * Entries whose local header ranges overlap: the building block of "overlapping files" bombs
 * (many entries inflating the same compressed kernel). Returns the first offending pair's names.
 * The range is a lower bound (local extra fields are not read), so honest archives never overlap.
 */
export function findOverlap(members: ZipMember[]): [string, string] | null {
  const sorted = members.filter((m) => m.compressedSize > 0 || m.uncompressedSize > 0).sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.localHeaderOffset < prev.localHeaderOffset + prev.span) return [prev.name, cur.name];
  }
  return null;
}
