#!/usr/bin/env node
// Entry point installed as `wdavdaemon`: runs the compiled daemon.
// V8's young generation grows (up to 3 x 16 MiB here) whenever many short-lived objects survive
// a scavenge, and never shrinks while the daemon stays busy: on-demand scans made a long-lived
// daemon's RSS creep from ~190 to ~235 MB. Keeping it at its initial size costs no measurable
// CPU (docs/scans.md "Memory", docs/benchmarks.md). --max-semi-space-size would say the same, but it is only
// read when the heap is created, and the daemon is started as `node bin/wdavdaemon.js` by
// systemd, tests and benchmarks; the growth factor is read each time the space would grow, so
// it can be set here, before anything is allocated in earnest. WDAV_V8_FLAGS overrides it.
import v8 from 'node:v8';

v8.setFlagsFromString(process.env.WDAV_V8_FLAGS ?? '--semi-space-growth-factor=1');
await import('../dist/daemon/main.js');
