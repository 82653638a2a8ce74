// Other clients can follow a running scan: GET /v1/scans/:id/events streams NDJSON (or SSE
// with Accept: text/event-stream): `started`, `progress` with growing counts, a `threat` event
// per detection and a final `end` with the summary; a finished scan answers `end` at once.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { TestDaemon } from '../helpers/daemon.js';
import { eicar } from '../helpers/scan-daemon.js';

function follow(socket: string, id: string, sse: boolean): Promise<{ type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: `/v1/scans/${id}/events`, headers: sse ? { accept: 'text/event-stream' } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c));
      res.on('end', () => resolve({ type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('NDJSON and SSE followers', async (t) => {
  const d = await TestDaemon.start(t);
  const tree = path.join(d.dir, 'tree');
  fs.mkdirSync(tree);
  const chunk = Buffer.alloc(8 << 20, 0x42);
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(tree, `big${i}.bin`), chunk);
  fs.writeFileSync(path.join(tree, 'zz.com'), eicar());
  const started = await d.api('POST', '/v1/scans', { type: 'custom', paths: [tree] });
  t.equal(started.status, 201);
  const id = started.json.scan.id as string;
  const [nd, sse] = await Promise.all([follow(d.socket, id, false), follow(d.socket, id, true)]);

  t.match(nd.type, /application\/x-ndjson/);
  const events = nd.body.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(events[0].event, 'started');
  t.equal(events.at(-1).event, 'end');
  t.match(events.at(-1), { scan: { id, state: 'succeeded', filesScanned: 31, threatsDetected: 1 }, threats: [{ path: path.join(tree, 'zz.com') }] });
  const threatEvents = events.filter((e) => e.event === 'threat');
  t.equal(threatEvents.length, 1);
  const progress = events.filter((e) => e.event === 'progress').map((e) => e.scan.filesScanned + e.scan.skipped + e.scan.errors);
  t.same(progress, [...progress].sort((a, b) => a - b), 'progress only grows');

  t.match(sse.type, /text\/event-stream/);
  t.match(sse.body, /^event: started\ndata: \{/);
  t.match(sse.body, /event: end\ndata: \{.*"state":"succeeded"/s);

  const late = await follow(d.socket, id, false);
  const lateEvents = late.body.trim().split('\n').map((l) => JSON.parse(l));
  t.same(lateEvents.map((e) => e.event), ['end'], 'a finished scan: its end at once');
  t.equal(lateEvents[0].threats.length, 1);
  const missing = await d.api('GET', '/v1/scans/00000000-0000-0000-0000-000000000000/events');
  t.equal(missing.status, 404);
});
