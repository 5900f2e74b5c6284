import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from a module next to the caller: `entry` is resolved against
 * `baseUrl` (the caller's import.meta.url) with `.ts` when running from TypeScript sources (CLI,
 * tests, benchmarks) and `.js` when running from the built dist/.
 *
 * From sources, the worker registers tsx's loader first: on Node 20 a worker does not inherit
 * loader hooks, and `--import tsx` in its execArgv is not honoured.
 */
export function createWorker(
  entry: string,
  baseUrl: string,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  const fromSource = baseUrl.endsWith('.ts');
  const url = new URL(`${entry}${fromSource ? '.ts' : '.js'}`, baseUrl);
  if (!fromSource) return new Worker(url, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
