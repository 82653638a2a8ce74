import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ByteReader } from '../../src/engine/archives/byte-reader.js';
import { readTar } from '../../src/engine/archives/tar-reader.js';
import { BufferSource } from '../../src/engine/archives/source.js';
import { makeTar, tarHeader } from '../helpers/archive-fixtures.js';

async function list(buf: Buffer): Promise<Array<{ name: string; type: string; data: string }>> {
  const out: Array<{ name: string; type: string; data: string }> = [];
  for await (const e of readTar(new ByteReader(new BufferSource(buf).chunks()))) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push({ name: e.name, type: e.type, data: Buffer.concat(parts).toString() });
  }
  return out;
}

const longName = `${'deep/'.repeat(40)}file-with-a-long-name.txt`;

t.test('tars written by GNU tar in gnu, pax and ustar formats', { skip: spawnSync('tar', ['--version']).status === 0 ? false : 'GNU tar is not installed' }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wdav-tar-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'src', path.dirname(longName)), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', longName), 'long');
  fs.writeFileSync(path.join(dir, 'src', 'short.txt'), 'short');
  fs.symlinkSync('short.txt', path.join(dir, 'src', 'link'));
  for (const format of ['gnu', 'pax', 'ustar']) {
    const out = path.join(dir, `${format}.tar`);
    const r = spawnSync('tar', [`--format=${format}`, '-cf', out, '-C', path.join(dir, 'src'), 'short.txt', 'link', longName]);
    t.equal(r.status, 0, `tar --format=${format}`);
    const entries = await list(fs.readFileSync(out));
    t.same(entries.find((e) => e.name === 'short.txt'), { name: 'short.txt', type: 'file', data: 'short' }, format);
    t.same(entries.find((e) => e.name === 'link'), { name: 'link', type: 'symlink', data: '' }, format);
    t.same(entries.find((e) => e.name === longName), { name: longName, type: 'file', data: 'long' }, `${format} long name`);
  }
});

t.test('v7 headers without magic, base-256 sizes, no end blocks', async (t) => {
  const v7 = makeTar([{ name: 'old.txt', data: Buffer.from('v7') }], { ustar: false, end: false });
  t.same(await list(v7), [{ name: 'old.txt', type: 'file', data: 'v7' }]);
  const h = tarHeader('b256', 0);
  h.fill(0, 124, 136);
  h[124] = 0x80;
  h[135] = 3; // base-256 size 3
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  t.same(await list(Buffer.concat([h, Buffer.from('abc'), Buffer.alloc(509)])), [{ name: 'b256', type: 'file', data: 'abc' }]);
});

t.test('oversized GNU long-name headers are refused, not buffered', async (t) => {
  const bomb = Buffer.concat([tarHeader('././@LongLink', 64 * 1024 * 1024, 'L'), Buffer.alloc(512)]);
  await t.rejects(list(bomb), /GNU long name header of 67108864 bytes/u);
});

t.test('size fields that are not numbers, or too large, are named in the error', async (t) => {
  const withSize = (field: Buffer): Buffer => {
    const h = tarHeader('bad', 0);
    field.copy(h, 124);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    return Buffer.concat([h, Buffer.alloc(1024)]);
  };
  await t.rejects(list(withSize(Buffer.from('0000000z123\0', 'latin1'))), /^tar: invalid size field '0000000z123'$/u);
  await t.rejects(list(withSize(Buffer.from([0xff, ...Array(11).fill(0xff)]))), /^tar: size field is too large$/u);
});
