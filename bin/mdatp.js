#!/usr/bin/env node
// Entry point installed as `mdatp`: runs the compiled CLI.
import '../dist/cli/main.js';
