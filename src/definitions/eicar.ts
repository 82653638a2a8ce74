// src/definitions/eicar.ts — the built-in EICAR definition, present in every definition set
// (even with no definitions at all). Detects what the EICAR specification allows: the 68-byte
// standard string at offset 0, optionally followed by whitespace (space, tab, CR, LF, Ctrl-Z),
// the whole file at most 128 bytes. The string is assembled from parts at run time so that no
// file of this repository is itself an EICAR test file (or trips scanners on the source tree).
// Owns: this one check. Must not: read files.

export const EICAR_NAME = 'Virus:DOS/EICAR_Test_File';
export const EICAR_MAX_SIZE = 128;

const PARTS = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-', 'TEST-FILE!$H+H*'];

/** The 68-byte EICAR standard string (tests build their fixtures from this). */
export function eicarBytes(): Buffer {
  return Buffer.from(PARTS.join(''), 'latin1');
}

const EICAR = eicarBytes();
const TRAILING = new Set([0x20, 0x09, 0x0d, 0x0a, 0x1a]);

/** `head` holds the first bytes of a file of `size` bytes (all of them when size <= 128). */
export function isEicar(head: Buffer, size: number): boolean {
  if (size < EICAR.length || size > EICAR_MAX_SIZE || head.length < size) return false;
  if (head.compare(EICAR, 0, EICAR.length, 0, EICAR.length) !== 0) return false;
  for (let i = EICAR.length; i < size; i++) if (!TRAILING.has(head[i]!)) return false;
  return true;
}
