// src/scanner/protocol.ts — the broker's side of the wire format of native/scanner/protocol.h:
// requests encoded, replies decoded and checked. A reply comes from a process that parses
// hostile content, so every length is checked and a malformed reply is an error, never a verdict.
// Owns: the byte layout on the JS side. Must not: send, spawn or decide anything.

export const MAGIC = 0x57445331;
export const MAX_PACKET = 256 * 1024;

export const Op = { ping: 1, loadYara: 2, scan: 3, testOpen: 4, cancel: 5, release: 6, loadPlan: 7, releasePlan: 8 } as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export const Status = { ok: 0, timeout: 1, cancelled: 2, error: 3, noRules: 4, badRequest: 5, busy: 6 } as const;
/** kScan flag: real-time class (taken first, may use every thread). */
export const REAL_TIME = 1;
export type StatusCode = (typeof Status)[keyof typeof Status];

export interface YaraUnit {
  /** Display name in error messages. */
  file: string;
  source: string;
  namespace?: string;
  /** A line that does not compile is dropped alone (translated body signatures). */
  perLine?: boolean;
}

class Writer {
  private parts: Buffer[] = [];
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    this.parts.push(b);
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class ReplyReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  u32(): number {
    if (this.buf.length - this.off < 4) throw new Error('scanner reply is cut short');
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  str(max = MAX_PACKET): string {
    const len = this.u32();
    if (len > max || this.buf.length - this.off < len) throw new Error('scanner reply has a string past its end');
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
  get done(): boolean {
    return this.off === this.buf.length;
  }
}

export function request(op: OpCode, id: number, payload?: (w: Writer) => void): Buffer {
  const w = new Writer().u32(MAGIC).u32(op).u32(id);
  payload?.(w);
  return w.bytes();
}

export interface Reply {
  op: number;
  id: number;
  status: number;
  body: ReplyReader;
}

/** Decodes a reply header (the caller matches it to its request by id and op). */
export function reply(buf: Buffer): Reply {
  const r = new ReplyReader(buf);
  const magic = r.u32();
  const op = r.u32();
  const id = r.u32();
  const status = r.u32();
  if (magic !== MAGIC) throw new Error('scanner reply without the protocol magic');
  return { op, id, status, body: r };
}

/** The rule bundle kLoadYara reads from its fd. */
export function yaraBundle(units: readonly YaraUnit[]): Buffer {
  const w = new Writer().u32(units.length);
  for (const u of units) w.str(u.file).str(u.namespace ?? '').u32(u.perLine ? 1 : 0).str(u.source);
  return w.bytes();
}

export interface ScanArgs {
  set: number;
  limitMs: number;
  maxBytes: number;
  /** Milliseconds from now by which the scan ends, waiting included (0: none). */
  deadlineMs: number;
  realTime: boolean;
}
export const scanArgs = (a: ScanArgs) => (w: Writer) =>
  void w.u32(a.set).u32(clampU32(a.limitMs)).u32(clampU32(a.maxBytes)).u32(clampU32(a.deadlineMs)).u32(a.realTime ? REAL_TIME : 0);
export const u32Arg = (v: number) => (w: Writer) => void w.u32(v);

function clampU32(v: number): number {
  return Math.max(0, Math.min(0xffffffff, Math.round(v)));
}
export const pathArg = (p: string) => (w: Writer) => void w.str(p);
