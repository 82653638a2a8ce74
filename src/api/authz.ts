// src/api/authz.ts — authorization from the kernel: the caller's uid/gid/pid come from
// SO_PEERCRED on the connection (native getsockopt), never from anything the client sends.
// root and the daemon's own uid may do everything; members of the socket group (`mdatp`) may
// read; anyone else gets 403. Owns role resolution, cached per connection.
// Must not: decide which routes are read or admin (each route declares `config.access`).
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { NativeBinding, PeerCredentials } from '../shared/native.js';

export type Access = 'read' | 'admin';
export type Role = 'admin' | 'reader' | 'none';

export interface Caller extends PeerCredentials {
  role: Role;
}

/** gid of a group by name from /etc/group, or null. */
export function lookupGroupId(name: string, groupFile = '/etc/group'): number | null {
  let text: string;
  try {
    text = fs.readFileSync(groupFile, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

/** Supplementary groups of a live process (from /proc/PID/status). */
function processGroups(pid: number): number[] {
  if (pid <= 0) return [];
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^Groups:\s*(.*)$/m.exec(status);
    return m ? m[1]!.trim().split(/\s+/).filter(Boolean).map(Number) : [];
  } catch {
    return [];
  }
}

export class Authorizer {
  private readonly cache = new WeakMap<Socket, Caller>();
  private readerGid: number | null;

  constructor(
    private readonly native: Pick<NativeBinding, 'peerCred'>,
    private readonly groupName: string,
    private readonly daemonUid: number = process.getuid?.() ?? -1,
  ) {
    this.readerGid = lookupGroupId(groupName);
  }

  /** Re-reads the group's gid (SIGHUP). */
  refresh(): void {
    this.readerGid = lookupGroupId(this.groupName);
  }

  get groupId(): number | null {
    return this.readerGid;
  }

  caller(socket: Socket): Caller {
    const cached = this.cache.get(socket);
    if (cached) return cached;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      // Not a Unix-socket connection we can ask the kernel about: no rights.
      const c: Caller = { pid: 0, uid: -1, gid: -1, role: 'none' };
      this.cache.set(socket, c);
      return c;
    }
    const cred = this.native.peerCred(fd);
    const c: Caller = { ...cred, role: this.roleOf(cred) };
    this.cache.set(socket, c);
    return c;
  }

  private roleOf(cred: PeerCredentials): Role {
    if (cred.uid === 0 || cred.uid === this.daemonUid) return 'admin';
    const g = this.readerGid;
    if (g !== null && (cred.gid === g || processGroups(cred.pid).includes(g))) return 'reader';
    return 'none';
  }

  static allows(role: Role, access: Access): boolean {
    if (role === 'admin') return true;
    return role === 'reader' && access === 'read';
  }
}
