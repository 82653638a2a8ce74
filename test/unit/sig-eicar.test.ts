// The built-in EICAR definition: always present (no definitions at all), and only what the
// EICAR specification allows — the string at offset 0, optional trailing whitespace, <= 128 bytes.
import t from 'tap';
import { createEngine } from '../../src/engine/engine.js';
import { eicarBytes, EICAR_NAME } from '../../src/definitions/eicar.js';
import { outcome, scanData } from '../helpers/engine-fixtures.js';

const engine = createEngine();
const E = eicarBytes();

t.test('detected with no definitions loaded', async (t) => {
  t.equal(E.length, 68);
  t.match(await scanData(t, engine, E), { kind: 'detected', name: EICAR_NAME, threatType: 'virus', engine: 'builtin', bytes: 68 });
});

t.test('trailing whitespace up to 128 bytes in total', async (t) => {
  for (const tail of [' ', '\t', '\r\n', '\n', '\x1a', ' \t\r\n\x1a', ' '.repeat(60)]) {
    t.equal(outcome(await scanData(t, engine, Buffer.concat([E, Buffer.from(tail, 'latin1')]))), EICAR_NAME, JSON.stringify(tail));
  }
});

t.test('not EICAR: too long, other trailing bytes, not at the start, truncated', async (t) => {
  const cases: [string, Buffer][] = [
    ['129 bytes', Buffer.concat([E, Buffer.from(' '.repeat(61))])],
    ['trailing text', Buffer.concat([E, Buffer.from(' x')])],
    ['leading byte', Buffer.concat([Buffer.from(' '), E])],
    ['truncated', E.subarray(0, 67)],
    ['one byte changed', Buffer.from(E.toString('latin1').replace('EICAR', 'EICAX'), 'latin1')],
  ];
  for (const [name, data] of cases) t.equal(outcome(await scanData(t, engine, data)), 'clean', name);
});
