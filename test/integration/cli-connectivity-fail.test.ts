// `mdatp connectivity test` fails (exit status 1) when an endpoint answers [ERROR], in text and
// JSON alike, so scripts and monitoring can rely on the status. Here the configured source is
// a loopback port nobody listens on.
import t from 'tap';
import net from 'node:net';
import { TestDaemon } from '../helpers/daemon.js';

async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('an unreachable source fails the connectivity test', async (t) => {
  const url = `http://127.0.0.1:${await deadPort()}/`;
  const d = await TestDaemon.start(t, {
    rtpBackend: 'none',
    managed: {
      antivirusEngine: { offlineDefinitionUpdate: 'enabled', offlineDefinitionUpdateUrl: url },
      cloudService: { automaticDefinitionUpdateEnabled: false },
    },
  });
  const text = await d.mdatp(['connectivity', 'test']);
  t.equal(text.code, 1, text.stderr);
  t.match(text.stdout, /\[ERROR\]/u);
  const json = await d.mdatp(['connectivity', 'test', '--output', 'json']);
  t.equal(json.code, 1, json.stderr);
  const doc = JSON.parse(json.stdout) as { ok: boolean }[];
  t.ok(doc.length >= 1 && doc.every((x) => x.ok === false), 'every endpoint reported as failed');
});
