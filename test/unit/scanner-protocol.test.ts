// Replies come from the process that parses hostile content: a wrong magic, a string that runs
// past the packet or a packet cut short is an error, never read as a verdict (a reply to a
// request not in flight is refused by ScannerProcess: scanner-protocol-violation). The rule
// bundle and the scan arguments are laid out as native/scanner/protocol.h reads them.
import t from 'tap';
import { MAGIC, Op, REAL_TIME, Status, reply, request, scanArgs, yaraBundle } from '../../src/scanner/protocol.js';

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const str = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
const header = (op: number, id: number, status: number) => Buffer.concat([u32(MAGIC), u32(op), u32(id), u32(status)]);

t.test('requests and bundles', async (t) => {
  t.same(request(Op.ping, 7), Buffer.concat([u32(MAGIC), u32(Op.ping), u32(7)]));
  t.same(yaraBundle([{ file: 'a.yar', source: 'rule a { condition: true }', perLine: true }]),
    Buffer.concat([u32(1), str('a.yar'), str(''), u32(1), str('rule a { condition: true }')]));
  t.same(request(Op.scan, 8, scanArgs({ set: 2, limitMs: 1500, maxBytes: 1 << 20, deadlineMs: 0, realTime: true })),
    Buffer.concat([u32(MAGIC), u32(Op.scan), u32(8), u32(2), u32(1500), u32(1 << 20), u32(0), u32(REAL_TIME)]));
  t.same(request(Op.scan, 8, scanArgs({ set: 0, limitMs: -5, maxBytes: 2 ** 40, deadlineMs: 12.6, realTime: false })).subarray(12),
    Buffer.concat([u32(0), u32(0), u32(0xffffffff), u32(13), u32(0)]), 'out-of-range numbers are clamped to u32, never wrapped');
});

t.test('a well-formed reply', async (t) => {
  const r = reply(Buffer.concat([header(Op.scan, 9, Status.ok), u32(12), u32(1), str('rule_x'), str('default')]));
  t.same([r.op, r.id], [Op.scan, 9]);
  t.same([r.status, r.body.u32(), r.body.u32(), r.body.str(), r.body.str()], [Status.ok, 12, 1, 'rule_x', 'default']);
  t.ok(r.body.done);
});

t.test('malformed replies are errors', async (t) => {
  t.throws(() => reply(Buffer.concat([u32(0xdeadbeef), u32(Op.scan), u32(9), u32(0)])), /magic/);
  t.throws(() => reply(Buffer.from([1, 2, 3])), /cut short/);
  const long = reply(Buffer.concat([header(Op.scan, 9, Status.ok), u32(1), u32(1), u32(1_000_000), Buffer.from('short')]));
  long.body.u32();
  long.body.u32();
  t.throws(() => long.body.str(), /past its end/, 'a length beyond the packet');
});
