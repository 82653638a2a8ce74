// test/helpers/users.ts — the real users the authorization tests act as (created by .ci/run):
// wdavtest-reader (member of group mdatp) and wdavtest-other (not). Each lookup says why a
// test must skip when the user, the group or root is missing.
import { execFileSync } from 'node:child_process';
import { isRoot } from './daemon.js';

function id(args: string[]): number | null {
  try {
    return Number(execFileSync('id', args, { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

function groupId(name: string): number | null {
  try {
    return Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    return null;
  }
}

export interface TestUser {
  uid: number | null;
  /** The gid to spawn with: mdatp for the member, the user's own group for the other. */
  gid: number | null;
  skip: string | false;
}

function user(name: string, gid: () => number | null): TestUser {
  const uid = id(['-u', name]);
  const g = uid === null ? null : gid();
  const skip = !isRoot ? 'needs root to act as other users' : uid === null || g === null ? `needs user ${name} and group mdatp (created by .ci/run)` : false;
  return { uid, gid: g, skip };
}

/** wdavtest-reader, spawned with gid mdatp. */
export const memberUser = (): TestUser => user('wdavtest-reader', () => groupId('mdatp'));
/** wdavtest-other (not in mdatp), spawned with its own primary group. */
export const otherUser = (): TestUser => user('wdavtest-other', () => id(['-g', 'wdavtest-other']));
