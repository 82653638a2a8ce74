// test/helpers/deep-path.ts — files at paths longer than PATH_MAX (4096 bytes), which the kernel
// accepts only through relative operations: every helper here walks the path component by
// component through /proc/self/fd/N/<name> (each component ≤ 255 bytes), so the test process
// never hands the kernel the whole path.
import fs from 'node:fs';

/** `depth` directories named `seg` under `root`, created relative to their parent; answers the full path. */
export function makeDeepDir(root: string, depth: number, seg = 'D'.repeat(240)): string {
  fs.mkdirSync(root, { recursive: true });
  let fd = fs.openSync(root, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    for (let i = 0; i < depth; i++) {
      const name = `${seg}${i % 10}`;
      fs.mkdirSync(`/proc/self/fd/${fd}/${name}`, { recursive: false });
      const next = fs.openSync(`/proc/self/fd/${fd}/${name}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
      fs.closeSync(fd);
      fd = next;
    }
  } finally {
    fs.closeSync(fd);
  }
  let p = root;
  for (let i = 0; i < depth; i++) p += `/${seg}${i % 10}`;
  return p;
}

/** Runs `fn` with `/proc/self/fd/N` of the deep directory `dir` (opened component by component). */
export function inDeepDir<R>(dir: string, fn: (at: string) => R): R {
  const parts = dir.split('/').filter(Boolean);
  let fd = fs.openSync('/', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    for (const part of parts) {
      const next = fs.openSync(`/proc/self/fd/${fd}/${part}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      fs.closeSync(fd);
      fd = next;
    }
    return fn(`/proc/self/fd/${fd}`);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeDeep(file: string, data: Buffer | string): void {
  const { dir, base } = split(file);
  inDeepDir(dir, (at) => fs.writeFileSync(`${at}/${base}`, data));
}

/** The file's bytes, or null when nothing is at the path. */
export function readDeep(file: string): Buffer | null {
  const { dir, base } = split(file);
  try {
    return inDeepDir(dir, (at) => fs.readFileSync(`${at}/${base}`));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function split(file: string): { dir: string; base: string } {
  const i = file.lastIndexOf('/');
  return { dir: file.slice(0, i), base: file.slice(i + 1) };
}
