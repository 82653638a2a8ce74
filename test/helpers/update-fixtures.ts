// test/helpers/update-fixtures.ts — real loopback servers for update tests: a static HTTP
// mirror (node:http on 127.0.0.1:0, Range support, request log, stall switches) and a
// forwarding HTTP proxy (absolute-form requests and CONNECT tunnels, request log); plus signed
// package directories, hash signatures for generated samples, and a DefinitionsService wired to
// the real loader and a real engine. Everything is generated at test time.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DefinitionsService, type DefinitionsServiceOptions } from '../../src/definitions/service.js';
import { defaultLoadSet } from '../../src/definitions/generations-load.js';
import { generateKeyPair, signPackage } from '../../src/definitions/sign.js';
import { createEngine, type ScanEngine } from '../../src/engine/engine.js';
import { loadNative } from '../../src/shared/native.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export function tmp(t: Teardown, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface StaticServer {
  url: string;
  /** `METHOD /path [range]` of every request, in order. */
  log: string[];
  /** Client port of every request (to tell which came through the proxy). */
  peers: number[];
  /** Paths that never get a response (headers timeout tests). */
  hang: Set<string>;
  /** Paths whose body stops after the first bytes (body idle timeout tests). */
  stall: Set<string>;
}

export async function staticServer(t: Teardown, root: string): Promise<StaticServer> {
  const s: StaticServer = { url: '', log: [], peers: [], hang: new Set(), stall: new Set() };
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    s.log.push(`${req.method} ${p}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    s.peers.push(req.socket.remotePort ?? 0);
    if (s.hang.has(p)) return;
    const file = path.join(root, path.normalize(p));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const data = fs.readFileSync(file);
    if (s.stall.has(p)) {
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, Math.min(100, data.length - 1)));
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/u.exec(req.headers.range ?? '');
    if (m) {
      const part = data.subarray(Number(m[1]), Number(m[2]) + 1);
      res.writeHead(206, { 'content-length': part.length, 'content-range': `bytes ${m[1]}-${Number(m[1]) + part.length - 1}/${data.length}` }).end(part);
      return;
    }
    res.writeHead(200, { 'content-length': data.length }).end(data);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return s;
}

export interface ForwardProxy {
  url: string;
  /** `GET http://host/path` (absolute-form) or `CONNECT host:port`. */
  log: string[];
  /** Local ports of the proxy's own connections to the origin. */
  upstreamPorts: Set<number>;
}

/** A minimal HTTP forward proxy, enough to prove requests really go through it. */
export async function forwardProxy(t: Teardown): Promise<ForwardProxy> {
  const p: ForwardProxy = { url: '', log: [], upstreamPorts: new Set() };
  const server = http.createServer((req, res) => {
    p.log.push(`${req.method} ${req.url}`);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    const headers = { ...req.headers, host: target.host };
    delete headers['proxy-connection'];
    const up = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('socket', (sock) => sock.on('connect', () => p.upstreamPorts.add(sock.localPort ?? 0)));
    up.on('error', () => res.writeHead(502).end('bad gateway'));
    req.pipe(up);
  });
  server.on('connect', (req, socket, head) => {
    p.log.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host!, () => {
      p.upstreamPorts.add(up.localPort ?? 0);
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return p;
}

export interface Publisher {
  keysDir: string;
  privateKey: crypto.KeyObject;
}

/** A key pair: the public half in a fresh trusted-keys directory. */
export function publisher(t: Teardown): Publisher {
  const pair = generateKeyPair();
  const keysDir = tmp(t, 'wdav-keys-');
  fs.writeFileSync(path.join(keysDir, 'publisher.pem'), pair.publicKey);
  return { keysDir, privateKey: crypto.createPrivateKey(pair.privateKey) };
}

/** A sample file body and the .hdb line that detects it by MD5. */
export function sample(tag: string): { data: Buffer; name: string; hdb: string } {
  const data = Buffer.from(`wdavdaemon update test sample ${tag}\n`);
  const name = `Wdav.Test.${tag}-1`;
  return { data, name, hdb: `${crypto.createHash('md5').update(data).digest('hex')}:${data.length}:${name}\n` };
}

/** Writes files into `dir` (emptied first) and signs them as a package of `version`. */
export function writePackage(dir: string, files: Record<string, string | Buffer>, version: string, key: crypto.KeyObject | null): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  if (key) signPackage(dir, key, version);
}

export interface Harness {
  service: DefinitionsService;
  engine: ScanEngine;
  stateDir: string;
  changes: string[];
  /** Scans bytes written to a temp file; returns the detection name or 'clean'. */
  scan(data: Buffer): Promise<string>;
}

export async function harness(t: Teardown, opts: Partial<DefinitionsServiceOptions> = {}): Promise<Harness> {
  const stateDir = tmp(t, 'wdav-state-');
  const engine = createEngine();
  const service = new DefinitionsService({
    stateDir,
    load: defaultLoadSet(loadNative()),
    apply: (s) => engine.setDefinitions(s),
    ...opts,
  });
  const changes: string[] = [];
  service.on('changed', (e: { reason: string; version: string | null }) => changes.push(`${e.reason}:${e.version ?? 'none'}`));
  t.teardown(async () => {
    await service.close().catch(() => undefined);
    await engine.definitions.close().catch(() => undefined);
  });
  await service.start();
  const files = tmp(t, 'wdav-samples-');
  let n = 0;
  return {
    service,
    engine,
    stateDir,
    changes,
    async scan(data) {
      const file = path.join(files, `s${n++}`);
      fs.writeFileSync(file, data);
      const r = await engine.scan({ path: file }, { origin: 'on_demand', scanArchives: false, maxFileSize: 0 });
      return r.kind === 'detected' ? r.name : r.kind;
    },
  };
}
