// .ndb parsing: what is supported, what is skipped (and why), what is malformed.
import t from 'tap';
import { parseNdbLine } from '../../src/definitions/ndb-parse.js';

t.test('supported lines parse with lengths', async (t) => {
  const r = parseNdbLine('A.B-1:0:*:4142{2-4}43(44|4546)*4748');
  t.ok(r.ok);
  if (r.ok) t.match(r.sig, { name: 'A.B-1', target: 0, offset: { kind: 'any' }, minLen: 8, maxLen: Infinity });
  t.match(parseNdbLine('A:7:EOF-10,4:41424344'), { ok: true, sig: { offset: { kind: 'eof', n: 10, shift: 4 }, minLen: 4, maxLen: 4 } });
  t.match(parseNdbLine('A:0:100,8:4142:51:255'), { ok: true, sig: { offset: { kind: 'abs', n: 100, shift: 8 } } });
  t.match(parseNdbLine('A:0:*:4142{3}{2}4344'), { ok: true, sig: { minLen: 9, maxLen: 9 } }, 'adjacent jumps merge');
});

t.test('skipped, with a reason', async (t) => {
  const cases: [string, string][] = [
    ['A:1:*:41424344', 'target 1'],
    ['A:6:EP+10:41424344', 'target 6'],
    ['A:0:EP+10:41424344', 'offset'],
    ['A:0:S2+4:41424344', 'offset'],
    ['A:0:SL+4:41424344', 'offset'],
    ['A:0:EOF+3:41424344', 'offset'],
    ['A:0:*:4142(B)4344', 'boundary marker'],
    ['A:0:*:4142{40000}4344', 'jump above 32767'],
    ['A:0:*:*41424344', 'leading or trailing jump'],
    ['A:0:*:41424344{3}', 'leading or trailing jump'],
    ['A:0:*:41??42??43', 'fewer than two consecutive fixed bytes'],
    ['A:0:*:4142!(4344|45)46', 'negated multi-byte alternative'],
    ['A:0:*:4142(43{2}|44)4546', 'jump or group inside alternative'],
    ['A:0:*:41424344:250', 'flevel'],
    ['A:0:*:41424344:1:100', 'flevel'],
  ];
  for (const [line, skip] of cases) t.same(parseNdbLine(line), { ok: false, skip }, line);
});

t.test('malformed', async (t) => {
  const cases: [string, RegExp][] = [
    ['A:0:*', /expected Name:Target:Offset:HexSig/],
    [':0:*:4142', /empty signature name/],
    ['A:x:*:4142', /target is not a number/],
    ['A:0:-5:4142', /bad offset/],
    ['A:0:*:41424', /bad hex/],
    ['A:0:*:4142zz43', /bad hex/],
    ['A:0:*:4142{4-2}4344', /bad jump/],
    ['A:0:*:4142{x}4344', /bad jump/],
    ['A:0:*:4142(4344', /unclosed/],
    ['A:0:*:4142(43)4445', /at least two branches/],
    ['A:0:*:', /empty hex signature/],
    ['A:0:*:4142:1:2:3', /too many fields/],
  ];
  for (const [line, re] of cases) t.match(parseNdbLine(line), { ok: false, malformed: re }, line);
});
