// Replies come from the process that parses hostile content: a reply to another request, a
// wrong magic, a string that runs past the packet or a packet cut short is an error, never read
// as a verdict. The rule bundle is laid out as native/scanner/protocol.h reads it.
import t from 'tap';
import { MAGIC, Op, Status, reply, request, yaraBundle } from '../../src/scanner/protocol.js';

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
});

t.test('a well-formed reply', async (t) => {
  const r = reply(Buffer.concat([header(Op.scan, 9, Status.ok), u32(12), u32(1), str('rule_x'), str('default')]), Op.scan, 9);
  t.same([r.status, r.body.u32(), r.body.u32(), r.body.str(), r.body.str()], [Status.ok, 12, 1, 'rule_x', 'default']);
  t.ok(r.body.done);
});

t.test('malformed replies are errors', async (t) => {
  t.throws(() => reply(header(Op.scan, 10, Status.ok), Op.scan, 9), /where 3#9 was asked/, 'an answer to another request');
  t.throws(() => reply(Buffer.concat([u32(0xdeadbeef), u32(Op.scan), u32(9), u32(0)]), Op.scan, 9), /magic/);
  t.throws(() => reply(Buffer.from([1, 2, 3]), Op.scan, 9), /cut short/);
  const long = reply(Buffer.concat([header(Op.scan, 9, Status.ok), u32(1), u32(1), u32(1_000_000), Buffer.from('short')]), Op.scan, 9);
  long.body.u32();
  long.body.u32();
  t.throws(() => long.body.str(), /past its end/, 'a length beyond the packet');
});
