// src/daemon/core-stages.ts — the stages the daemon core owns: configuration and store (the
// control API's stage is src/api/stage.ts). The composition root (src/daemon/create.ts) runs
// them in order; each removes the listeners it adds when it stops.
import { openDatabase } from '../store/db.js';
import { ExclusionsStore } from '../store/exclusions.js';
import { MetaStore } from '../store/meta.js';
import { SettingsStore } from '../store/settings.js';
import { StorageHealth } from '../store/storage-health.js';
import type { SettingId } from '../config/managed-keys.js';
import type { ConfigService } from '../config/service.js';
import { registerCoreHealth } from './core-health.js';
import { StageHooks } from './stage-hooks.js';
import type { Started } from './lifecycle.js';
import type { Core, Store } from './services.js';

/** Loads the managed configuration; the log level and queue capacity follow its changes. */
export function startConfig(c: Core): Started<ConfigService> {
  c.config.load();
  c.logs.setLevel(c.options.logLevel ?? c.config.settings.logLevel);
  c.queue.setCapacity(c.config.settings.wdavdaemon.scanQueueCapacity);
  const hooks = new StageHooks(c).onSettings((changed: SettingId[]) => {
    c.logs.child('config').info({ changed }, 'effective configuration changed');
    if (changed.includes('logLevel')) c.logs.setLevel(c.config.settings.logLevel);
    if (changed.includes('wdavdaemon.scanQueueCapacity')) c.queue.setCapacity(c.config.settings.wdavdaemon.scanQueueCapacity);
  });
  return {
    service: c.config,
    stop() {
      hooks.remove();
      c.config.stop();
    },
    reload() {
      c.config.reloadManaged();
      c.config.refresh();
    },
  };
}

/** Opens the database and hands the local settings and exclusions to the configuration. */
export function startStore(c: Core): Started<Store> {
  const opened = openDatabase(c.options.stateDir, c.logs.child('store'));
  const store: Store = {
    db: opened.db,
    file: opened.file,
    meta: new MetaStore(opened.db),
    settings: new SettingsStore(opened.db),
    exclusions: new ExclusionsStore(opened.db),
    storage: new StorageHealth({ stateDir: c.options.stateDir, logger: c.logs.child('storage') }),
  };
  c.config.start({ settings: store.settings, exclusions: store.exclusions });
  // A level given on the command line wins at startup over the stored one.
  c.logs.setLevel(c.options.logLevel ?? c.config.settings.logLevel);
  const hooks = new StageHooks(c);
  registerCoreHealth(hooks, c, store, opened.recreatedFrom);
  hooks.health('storage', () => ({ issues: store.storage.issues() }));
  store.storage.start();
  return {
    service: store,
    async stop() {
      hooks.remove();
      await store.storage.stop();
      store.db.close();
    },
  };
}
