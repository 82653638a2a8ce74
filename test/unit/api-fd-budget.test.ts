// The control socket's connection caps leave the open-file limit's reserves whole (real-time
// events, scans, the daemon itself): with room they are what was configured; under a small
// limit they shrink, administrators first, one uid to half the total — never below the floor.
import t from 'tap';
import { BASE_RESERVE, FLOOR, SCAN_RESERVE, planConnections } from '../../src/api/fd-budget.js';

const wanted = { admin: 16, total: 64, perUid: 8 };
const rtp = 2 * (4096 + 1024) + 1024;

t.test('room for everything: the configured caps', async (t) => {
  const b = planConnections(wanted, 65536, rtp, 32);
  t.same(b.limits, wanted);
  t.equal(b.shrunk, null);
  t.equal(b.available, 65536 - BASE_RESERVE - SCAN_RESERVE - rtp - 32);
});

t.test('a limit just short of the caps: what is left, administrators first', async (t) => {
  const fdLimit = BASE_RESERVE + SCAN_RESERVE + rtp + 32 + 40;
  const b = planConnections(wanted, fdLimit, rtp, 32);
  t.same(b.limits, { admin: 10, total: 30, perUid: 8 });
  t.match(b.shrunk, /leaves 40 descriptors for control connections/);
});

t.test('a limit below the reserves: the floor, and the advice to raise it', async (t) => {
  const b = planConnections(wanted, 1024, rtp, 32);
  t.same(b.limits, FLOOR);
  t.match(b.shrunk, /open-file limit \(1024\).*raise LimitNOFILE/);
});

t.test('caps configured below the floor stay as configured', async (t) => {
  const small = { admin: 2, total: 3, perUid: 1 };
  t.same(planConnections(small, 1024, rtp, 32).limits, small);
  t.same(planConnections(small, Infinity, rtp, 32).limits, small);
  t.same(planConnections(small, null, rtp, 32), { fdLimit: null, reserve: { base: BASE_RESERVE, rtp, scans: SCAN_RESERVE, refusing: 32 }, available: null, limits: small, shrunk: null });
});
