// `npm run bench [-- export|pipeline|transport|series|browse]`: runs the named benchmarks, or all of them in turn.
import { runBrowseBenchmark } from './browse.js';
import { runExportBenchmark } from './export.js';
import { runPipelineBenchmark } from './pipeline.js';
import { runSeriesBenchmark } from './series.js';
import { runTransportBenchmark } from './transport.js';

const all = {
  pipeline: runPipelineBenchmark,
  export: runExportBenchmark,
  transport: runTransportBenchmark,
  series: runSeriesBenchmark,
  browse: runBrowseBenchmark,
};
const names = process.argv.slice(2);
for (const name of names.length > 0 ? names : Object.keys(all)) {
  const bench = all[name as keyof typeof all];
  if (!bench) throw new Error(`unknown benchmark "${name}": use ${Object.keys(all).join(' or ')}`);
  await bench();
}
