#!/usr/bin/env node
// Entry point installed as `wdavdaemon`: runs the compiled daemon.
import '../dist/daemon/main.js';
