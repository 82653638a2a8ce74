// Every malformed request gets a 4xx with a coded error and a message, never a 5xx, and the
// daemon stays healthy afterwards.
import t from 'tap';
import net from 'node:net';
import { TestDaemon } from '../helpers/daemon.js';

function raw(socket: string, request: Buffer | string, headOnly = false): Promise<{ status: number; body: string }> {
  const all = Buffer.isBuffer(request) ? request : Buffer.from(request, 'latin1');
  const bytes = headOnly ? all.subarray(0, all.indexOf('\r\n\r\n') + 4) : all;
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    let data = '';
    const done = () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    };
    s.on('data', (c) => (data += c.toString('latin1')));
    s.on('end', done);
    // A server may answer before it has read the whole request (413 for a huge body) and close:
    // the rest of the request then meets a closed socket (EPIPE, or a reset). When that comes
    // before the answer was read, the answer is lost with the socket: ask again with the head
    // alone (the server answered without the body, so it does again) and read that answer.
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') return reject(e);
      if (data.startsWith('HTTP/1.1 ')) return done();
      if (headOnly) return reject(e);
      raw(socket, all, true).then(resolve, reject);
    });
    // Written in pieces, and no more once the answer has started; the head alone is not ended,
    // so the server sees no short body.
    let off = 0;
    const pump = (): void => {
      while (off < bytes.length && data === '') {
        const piece = bytes.subarray(off, off + 64 * 1024);
        off += piece.length;
        if (!s.write(piece)) return void s.once('drain', pump);
      }
      if (!headOnly) s.end();
    };
    s.on('connect', pump);
  });
}

function req(method: string, path: string, body?: Buffer | string, type = 'application/json'): Buffer {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${body !== undefined ? `Content-Type: ${type}\r\nContent-Length: ${b.length}\r\n` : ''}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), b]);
}

t.test('a table of malformed API requests → 4xx, daemon still healthy', async (t) => {
  const d = await TestDaemon.start(t);
  const invalidUtf8Path = Buffer.concat([Buffer.from('{"type":"folder","value":"/srv/'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  const cases: [string, Buffer, number, RegExp?][] = [
    ['unknown route', req('GET', '/v1/nope'), 404, /WDAV_ERR_ROUTE_NOT_FOUND/],
    ['wrong method', req('DELETE', '/v1/health'), 404, /WDAV_ERR_ROUTE_NOT_FOUND/],
    ['not JSON', req('PUT', '/v1/config/scan-archives', '{"value":'), 400, /WDAV_ERR_BAD_REQUEST/],
    ['wrong content type', req('PUT', '/v1/config/scan-archives', 'value=enabled', 'text/plain'), 415, /WDAV_ERR_UNSUPPORTED_MEDIA/],
    ['wrong type', req('PUT', '/v1/config/scan-archives', '{"value":{"x":1}}'), 400, /WDAV_ERR_BAD_REQUEST/],
    ['extra property', req('PUT', '/v1/config/scan-archives', '{"value":"enabled","x":1}'), 400, /WDAV_ERR_BAD_REQUEST/],
    ['missing body', req('POST', '/v1/exclusions'), 400, /WDAV_ERR_BAD_REQUEST/],
    ['empty JSON body', req('POST', '/v1/exclusions', ''), 400, /WDAV_ERR_BAD_REQUEST/],
    ['unknown property name', req('PUT', '/v1/config/no-such-thing', '{"value":"enabled"}'), 400, /WDAV_ERR_INVALID_ARGUMENT/],
    ['bad value', req('PUT', '/v1/config/scan-archives', '{"value":"maybe"}'), 400, /WDAV_ERR_INVALID_ARGUMENT/],
    ['out of range', req('PUT', '/v1/config/maximum-on-demand-scan-threads', '{"value":65}'), 400, /from 1 to 64/],
    ['not an integer', req('PUT', '/v1/config/maximum-on-demand-scan-threads', '{"value":2.5}'), 400, /integer/],
    ['relative path', req('POST', '/v1/exclusions', '{"type":"folder","value":"relative/dir"}'), 400, /absolute/],
    ['invalid UTF-8 path', req('POST', '/v1/exclusions', invalidUtf8Path), 400, /not valid UTF-8/],
    ['NUL in path', req('POST', '/v1/exclusions', '{"type":"file","value":"/a\\u0000b"}'), 400, /NUL/],
    ['newline in path', req('POST', '/v1/exclusions', '{"type":"file","value":"/a\\nb"}'), 400, /line breaks/],
    ['bad exclusion type', req('POST', '/v1/exclusions', '{"type":"hash","value":"/x"}'), 400, /WDAV_ERR_BAD_REQUEST/],
    ['huge body', req('PUT', '/v1/config/scan-archives', `{"value":"${'a'.repeat(2 * 1024 * 1024)}"}`), 413, /WDAV_ERR_BODY_TOO_LARGE/],
    ['deep nesting', req('PUT', '/v1/config/scan-archives', `{"value":${'['.repeat(100000)}${']'.repeat(100000)}}`), 400],
    ['invalid percent-encoding', req('GET', '/v1/health?details=%E0%A4%A'), 400],
    ['unknown details group', req('GET', '/v1/health?details=nonsense'), 400, /unknown details group/],
    ['unknown query parameter', req('GET', '/v1/health?foo=bar'), 400],
    ['raw invalid UTF-8 in the URL', Buffer.concat([Buffer.from('GET /v1/health/'), Buffer.from([0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]), 400],
    ['garbage request line', Buffer.from('\x00\x01\x02 nonsense\r\n\r\n', 'latin1'), 400],
    ['content-length mismatch', Buffer.from('PUT /v1/config/scan-archives HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{"a":1}'), 400],
  ];
  for (const [name, request, status, body] of cases) {
    const r = await raw(d.socket, request);
    t.equal(r.status, status, `${name}: status ${status}`);
    if (body) t.match(r.body, body, `${name}: coded message`);
    t.ok(r.status >= 400 && r.status < 500, `${name}: never 5xx`);
  }
  const h = await d.api('GET', '/v1/health');
  t.equal(h.status, 200);
  t.equal(h.json.fields.healthy, true, 'still healthy');
  t.equal(d.exitCode, null, 'still running');
  t.notOk(d.logs.some((l) => l.level >= 50), 'no error logged for bad input');
});
