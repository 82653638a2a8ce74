#!/usr/bin/env node
// Entry point installed as `wdavdaemon`: runs the compiled daemon.
// V8's young generation grows (up to 3 x 16 MiB here) whenever many short-lived objects survive
// a scavenge, and never shrinks while the daemon stays busy: on-demand scans made a long-lived
// daemon's RSS creep from ~190 to ~235 MB. Keeping it at its initial size costs no measurable
// CPU (docs/scans.md "Memory", docs/benchmarks.md). --max-semi-space-size would say the same, but it is only
// read when the heap is created, and the daemon is started as `node bin/wdavdaemon.js` by
// systemd, tests and benchmarks; the growth factor is read each time the space would grow, so
// it can be set here, before anything is allocated in earnest.
// After a full GC V8 lets the old generation grow to up to ~3x what survived before the next
// one; in an open storm that is ~75 MB of promoted garbage on top of ~40 MB live, and the peak
// RSS then depended on when the first full GC of the storm fell (180-210 MB between runs of the
// same build). 1.5x keeps the peak at ~145 MB for the same storm time (docs/benchmarks.md).
// WDAV_V8_FLAGS replaces both flags.
import v8 from 'node:v8';

v8.setFlagsFromString(process.env.WDAV_V8_FLAGS ?? '--semi-space-growth-factor=1 --heap-growing-percent=50');
await import('../dist/daemon/main.js');
