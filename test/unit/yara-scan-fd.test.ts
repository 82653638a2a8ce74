// libyara scans through a file descriptor (what the unprivileged scanner process will get over
// SCM_RIGHTS): the same matches as from bytes, read with pread (the fd's offset stays where it
// was), and a file above maxBytes or a non-regular fd is an error, not a partial scan.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { loadNative } from '../../src/shared/native.js';
import { yaraBinding } from '../../src/engine/yara/binding.js';
import { tmpDir } from '../helpers/engine-fixtures.js';

const y = yaraBinding(loadNative())!;

t.test('fd and bytes give the same matches; the offset is untouched', async (t) => {
  const { rules } = await y.yaraCompile([{ file: 'r.yar', source: 'rule AtEnd { strings: $a = "END-MARK" condition: $a at filesize - 8 }' }]);
  const data = Buffer.concat([Buffer.alloc(100_000, 0x20), Buffer.from('END-MARK')]);
  const file = path.join(tmpDir(t), 'f.bin');
  fs.writeFileSync(file, data);
  const fd = fs.openSync(file, 'r');
  t.teardown(() => fs.closeSync(fd));
  fs.readSync(fd, Buffer.alloc(10), 0, 10, null); // move the offset
  const viaFd = await y.yaraScan(rules!, fd, { id: 800_001, limitMs: 5000, maxBytes: 1 << 20 });
  const viaBytes = await y.yaraScan(rules!, data, { id: 800_002, limitMs: 5000 });
  t.same(viaFd.matches, viaBytes.matches);
  t.match(viaFd, { status: 'ok', matches: [{ rule: 'AtEnd', ns: 'default' }] });
  const next = Buffer.alloc(1);
  fs.readSync(fd, next, 0, 1, null);
  t.equal(next[0], 0x20, 'the next read continues at offset 10');
  t.match(await y.yaraScan(rules!, fd, { id: 800_003, limitMs: 5000, maxBytes: 1000 }), { status: 'error', error: /larger than/ });
  const dirFd = fs.openSync(path.dirname(file), 'r');
  t.teardown(() => fs.closeSync(dirFd));
  t.match(await y.yaraScan(rules!, dirFd, { id: 800_004, limitMs: 5000, maxBytes: 1000 }), { status: 'error', error: /not a regular file/ });
});
