#!/usr/bin/env node
// Runs the TypeScript CLI directly (Node >= 22.18 strips types; the repo pins Node 24).
import '../app/cli/main.ts';
