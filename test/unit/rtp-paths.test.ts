// Event paths as text: valid UTF-8 unchanged (no raw copy), invalid bytes escaped as \xHH with
// the exact bytes kept, including a legitimate U+FFFD in a name.
import t from 'tap';
import { eventPath } from '../../src/rtp/paths.js';

t.test('event paths', async (t) => {
  t.same(eventPath(Buffer.from('/tmp/ok.txt')), { text: '/tmp/ok.txt' });
  t.same(eventPath(Buffer.from('/tmp/été/日本')), { text: '/tmp/été/日本' });
  t.same(eventPath(Buffer.from('/tmp/\ufffd')), { text: '/tmp/\ufffd' }, 'a real U+FFFD is valid UTF-8');
  const bad = Buffer.concat([Buffer.from('/tmp/a'), Buffer.from([0xff, 0xc3]), Buffer.from('b'), Buffer.from([0xe2, 0x82])]);
  const p = eventPath(bad);
  t.equal(p.text, '/tmp/a\\xff\\xc3b\\xe2\\x82');
  t.ok(p.raw && p.raw.equals(bad), 'raw bytes kept');
  t.equal(eventPath(Buffer.from([0x2f, 0xed, 0xa0, 0x80])).text, '/\\xed\\xa0\\x80', 'surrogates are invalid');
});
