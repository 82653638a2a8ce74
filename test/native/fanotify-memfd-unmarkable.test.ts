// Known limit (docs/real-time-protection.md, Limits): content that lives only in a memfd
// (memfd_create, then execveat(fd, "", AT_EMPTY_PATH)) cannot be covered by real-time
// protection, because the kernel refuses mount and filesystem marks on the internal shmem mount
// behind every memfd (EINVAL). This test holds the documentation to the kernel: if a kernel ever
// accepts one of those marks, it fails, and the daemon should start marking that mount.
import t from 'tap';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { skipFanotify } from '../helpers/rtp.js';
import { tsLoaderArgs } from '../helpers/ts-loader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const hasPython = spawnSync('python3', ['-c', 'import os; os.memfd_create']).status === 0;

t.test('mount and filesystem marks on a memfd are refused', { skip: skipFanotify || (hasPython ? false : 'python3 with os.memfd_create is needed') }, async (t) => {
  // A process holding a memfd with an executable payload, as a dropper would.
  const holder = spawn('python3', ['-c', 'import os,sys; fd=os.memfd_create("payload"); os.write(fd, b"#!/bin/sh\\necho ran\\n"); print(fd, flush=True); sys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => holder.kill('SIGKILL'));
  const fd = await new Promise<string>((resolve) => holder.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())));
  const target = `/proc/${holder.pid}/fd/${fd}`;
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, ...tsLoaderArgs, path.join(here, 'fixtures', 'fanotify-mark-path.ts'), target], {
    encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL',
  });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { mount: string; filesystem: string };
  t.match(out.mount, /EINVAL/, `mount mark refused: ${out.mount}`);
  t.match(out.filesystem, /EINVAL/, `filesystem mark refused: ${out.filesystem}`);
});
