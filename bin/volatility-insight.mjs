#!/usr/bin/env node
// Runs the CLI from dist/ (transpiled from the sources on first use and after every change to
// them, see node-dist.mjs), or from the TypeScript sources through tsx where dist/ cannot be
// built (VI_FROM_SOURCE=1 forces that).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtCli } from './node-dist.mjs';

const entry = await builtCli(fileURLToPath(new URL('..', import.meta.url)));
let main;
if (entry) {
  ({ main } = await import(pathToFileURL(entry).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../main/shells/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
