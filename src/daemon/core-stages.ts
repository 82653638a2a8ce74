// src/daemon/core-stages.ts — the stages the daemon core owns: configuration and store (the
// control API's stage is src/api/stage.ts). Components add their own stages
// (src/daemon/stages.ts lists them all in order).
import { openDatabase } from '../store/db.js';
import { ExclusionsStore } from '../store/exclusions.js';
import { MetaStore } from '../store/meta.js';
import { SettingsStore } from '../store/settings.js';
import { StorageHealth } from '../store/storage-health.js';
import type { SettingId } from '../config/managed-keys.js';
import { registerCoreHealth } from './core-health.js';
import type { Stage } from './lifecycle.js';
import type { Services } from './services.js';

export const configStage: Stage = {
  name: 'config',
  start(s) {
    s.config.load();
    s.logs.setLevel(s.options.logLevel ?? s.config.settings.logLevel);
    s.queue.setCapacity(s.config.settings.wdavdaemon.scanQueueCapacity);
    s.config.on('change', (changed: SettingId[]) => {
      s.logs.child('config').info({ changed }, 'effective configuration changed');
      if (changed.includes('logLevel')) s.logs.setLevel(s.config.settings.logLevel);
      if (changed.includes('wdavdaemon.scanQueueCapacity')) s.queue.setCapacity(s.config.settings.wdavdaemon.scanQueueCapacity);
    });
  },
  stop(s) {
    s.config.stop();
  },
  reload(s) {
    s.config.reloadManaged();
    s.config.refresh();
  },
};

export const storeStage: Stage = {
  name: 'store',
  start(s) {
    const opened = openDatabase(s.options.stateDir, s.logs.child('store'));
    s.store = {
      db: opened.db,
      file: opened.file,
      meta: new MetaStore(opened.db),
      settings: new SettingsStore(opened.db),
      exclusions: new ExclusionsStore(opened.db),
      storage: new StorageHealth({ stateDir: s.options.stateDir, logger: s.logs.child('storage') }),
    };
    s.config.start({ settings: s.store.settings, exclusions: s.store.exclusions });
    // A level given on the command line wins at startup over the stored one.
    s.logs.setLevel(s.options.logLevel ?? s.config.settings.logLevel);
    registerCoreHealth(s, opened.recreatedFrom);
    const storage = s.store.storage;
    s.health.register('storage', () => ({ issues: storage.issues() }));
    storage.start();
  },
  async stop(s) {
    await s.store.storage.stop();
    s.store.db.close();
  },
};

export function servicesSkeleton(base: Omit<Services, 'store'>): Services {
  // The store is assigned by storeStage before any later stage or route can read it.
  return { ...base, store: undefined as unknown as Services['store'] };
}
