#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node
// Entry point installed as `mdatp`: runs the CLI, bundled into one CommonJS file at build time
// (scripts/bundle-cli.mjs: no ES module loader to start on every call).
// mdatp only speaks HTTP over the daemon's Unix socket, never TLS, so extra CA certificates are
// of no use to it; yet when NODE_EXTRA_CA_CERTS is set (TLS-inspecting proxies, managed
// images), Node 20 parses the whole bundle before any script runs: ~80 ms of every call here
// with Debian's 140-certificate bundle (docs/cli.md "Start-up time"). The daemon keeps it (it
// downloads definitions over HTTPS).
'use strict';
require('../dist/cli/mdatp.cjs');
