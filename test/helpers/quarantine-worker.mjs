// test/helpers/quarantine-worker.mjs — the victim of the crash test: a real process running the
// compiled daemon code (dist/, as users run it; plain JS so it starts in a fraction of a second
// and can be killed many times in a run). It opens a state dir — which runs startup
// reconciliation — then quarantines every file of FILES_DIR through ThreatService.handle (the
// scanners' path) and at once restores each file whose number is a multiple of 3 into DEST_DIR
// and deletes for good (quarantine remove) each other multiple of 5, printing `ready` once open and `done` when nothing is left. The test kills it with SIGKILL.
// Usage: node quarantine-worker.mjs STATE_DIR FILES_DIR DEST_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const load = (m) => import(path.join(dist, m));
const [{ openDatabase }, { defaultSettings }, { SettingsStore }, { LoggerFactory }, { ThreatService }] = await Promise.all(
  ['store/db.js', 'config/settings.js', 'store/settings.js', 'shared/logger.js', 'threats/service.js'].map(load),
);

const [stateDir, filesDir, destDir] = process.argv.slice(2);
const num = (name) => Number(/(\d+)/.exec(name)?.[1] ?? 1);
const wantsRestore = (name) => num(name) % 3 === 0;
const wantsRemove = (name) => num(name) % 5 === 0 && !wantsRestore(name);

const logs = new LoggerFactory({ level: 'error', priorityPrefix: false, destination: { write: (l) => process.stderr.write(l) } });
const { db } = openDatabase(stateDir, logs.child('store'));
const localSettings = new SettingsStore(db);
// Built-in defaults (real_time enforcement: viruses are quarantined); nothing changes settings here.
const config = { settings: defaultSettings(), setLocal() {}, isManaged: () => false, refresh() {} };
const svc = await ThreatService.open({ db, stateDir, config, localSettings, logger: logs.child('threats') });
process.stdout.write('ready\n');
const followUp = async (id, name) => {
  if (wantsRestore(name)) await svc.restore(id, destDir, 0);
  else if (wantsRemove(name)) await svc.quarantineRemove(id, 0);
  else return 0;
  return 1;
};
for (;;) {
  let did = 0;
  for (const name of fs.readdirSync(filesDir).sort(() => Math.random() - 0.5)) {
    const p = path.join(filesDir, name);
    const r = await svc.handle({ name: 'Virus:DOS/EICAR_Test_File', threatType: 'virus', path: p, source: 'on_demand', blocked: false, engine: 'hash' });
    if (r.action !== 'quarantined') throw new Error(`unexpected outcome for ${name}: ${r.action}`);
    did += 1 + (await followUp(r.threatId, name));
  }
  // Items a killed run quarantined but did not restore or remove.
  for (const q of svc.quarantined()) did += await followUp(q.id, path.basename(q.original_path));
  if (did === 0) break;
}
process.stdout.write('done\n');
await svc.stop();
db.close();
