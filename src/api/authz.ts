// src/api/authz.ts — authorization from the kernel: who the caller is comes from the connection
// itself, read once when it is accepted and fixed from then on: uid/gid/pid from SO_PEERCRED
// and the supplementary groups from SO_PEERGROUPS, both recorded by the kernel at connect time
// (nothing the client sends, and nothing its process does later, changes them). root and the
// daemon's own uid may do everything; members of the socket group (`mdatp`, primary or
// supplementary) may read; anyone else has no role and is refused everything.
// Owns role resolution, cached per connection. Must not: decide which routes are read or admin
// (each route declares `config.access`; app.ts refuses routes that do not).
import { etcEntry } from '../shared/etc-files.js';
import type { Socket } from 'node:net';
import type { NativeBinding, PeerCredentials } from '../shared/native.js';

export type Access = 'read' | 'admin';
export type Role = 'admin' | 'reader' | 'none';

export interface Caller extends PeerCredentials {
  /** Supplementary groups at connect time; empty when the role did not need them (admin, primary gid). */
  groups: number[];
  role: Role;
}

/** gid of a group by name from /etc/group, or null. */
export function lookupGroupId(name: string, groupFile = '/etc/group'): number | null {
  const gid = etcEntry(groupFile, name)?.[2];
  return gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : null;
}

/** Who is calling: the kernel's answer (Authorizer); tests that build the daemon in-process
 * and call it with Fastify inject() give a fixed one (there is no peer to ask). */
export interface CallerSource {
  readonly groupId: number | null;
  identify(socket: Socket): Caller;
  caller(socket: Socket): Caller;
  refresh(): void;
}

export class Authorizer implements CallerSource {
  private readonly cache = new WeakMap<Socket, Caller>();
  private readerGid: number | null;

  constructor(
    private readonly native: Pick<NativeBinding, 'peerCred' | 'peerGroups'>,
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

  /**
   * Asks the kernel who is at the other end of a new connection and caches the answer for the
   * socket's life. Throws when the kernel cannot say (the caller must then be refused).
   */
  identify(socket: Socket): Caller {
    const cached = this.cache.get(socket);
    if (cached) return cached;
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    let c: Caller;
    if (typeof fd !== 'number' || fd < 0) {
      // Not a Unix-socket connection we can ask the kernel about: no rights.
      c = { pid: 0, uid: -1, gid: -1, groups: [], role: 'none' };
    } else {
      const cred = this.native.peerCred(fd);
      c = { ...cred, groups: [], role: 'none' };
      if (cred.uid === 0 || cred.uid === this.daemonUid) c.role = 'admin';
      else if (this.readerGid !== null && cred.gid === this.readerGid) c.role = 'reader';
      else if (this.readerGid !== null) {
        c.groups = this.native.peerGroups(fd);
        if (c.groups.includes(this.readerGid)) c.role = 'reader';
      }
    }
    this.cache.set(socket, c);
    return c;
  }

  /** The caller of a request: identified when its connection was accepted. */
  caller(socket: Socket): Caller {
    return this.identify(socket);
  }

  static allows(role: Role, access: Access): boolean {
    if (role === 'admin') return true;
    return role === 'reader' && access === 'read';
  }
}
