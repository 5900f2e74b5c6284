// `npm run bench`: runs every benchmark in turn. Add new ones below.
import { runExportBenchmark } from './export.js';

await runExportBenchmark();
