#!/usr/bin/env node
// Installed (under node_modules), Node will not strip types, so the built CLI runs. In a
// checkout the TypeScript source runs directly, so `npx session-logs` never runs a stale build.
const installed = import.meta.url.includes('/node_modules/');
await import(installed ? '../dist/app/cli/main.js' : '../app/cli/main.ts');
