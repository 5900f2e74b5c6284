// `npm run bench [-- export|delta|pipeline|transport|series|browse|latency|scaling|soak|charts-soak|restart|replay|timeline]`: runs the named benchmarks, or all of them in turn.
import { runBrowseBenchmark } from './browse.js';
import { runChartsSoakBenchmark } from './charts-soak.js';
import { runDeltaBenchmark } from './delta.js';
import { runExportBenchmark } from './export.js';
import { runLatencyBenchmark } from './latency.js';
import { runPipelineBenchmark } from './pipeline.js';
import { runReplayBenchmark } from './replay.js';
import { runRestartBenchmark, runScalingBenchmark } from './scaling.js';
import { runSeriesBenchmark } from './series.js';
import { runSoakBenchmark } from './soak.js';
import { runTimelineBenchmark } from './timeline.js';
import { runTransportBenchmark } from './transport.js';

const all = {
  pipeline: runPipelineBenchmark,
  export: runExportBenchmark,
  delta: runDeltaBenchmark,
  transport: runTransportBenchmark,
  series: runSeriesBenchmark,
  browse: runBrowseBenchmark,
  latency: runLatencyBenchmark,
  scaling: runScalingBenchmark,
  soak: runSoakBenchmark,
  'charts-soak': runChartsSoakBenchmark,
  restart: runRestartBenchmark,
  replay: runReplayBenchmark,
  timeline: runTimelineBenchmark,
};
const names = process.argv.slice(2);
for (const name of names.length > 0 ? names : Object.keys(all)) {
  const bench = all[name as keyof typeof all];
  if (!bench) throw new Error(`unknown benchmark "${name}": use ${Object.keys(all).join(' or ')}`);
  await bench();
}
