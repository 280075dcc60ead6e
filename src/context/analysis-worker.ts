import { workerData } from 'node:worker_threads';
import type { AbTestResults, ResultsOptions } from '../abtest/index.js';
import type { Config } from '../config/index.js';
import type { ModelWindow, WindowQuery } from '../monitoring/index.js';
import { serveRequests } from '../threads/index.js';
import { openBerth } from './index.js';

/** The analysis thread of `berth serve` (see startAnalysisThread): its own Berth over the same store. */
export type AnalysisOps = {
  window: (model: string, query: WindowQuery) => Promise<ModelWindow>;
  abtestResults: (name: string, options: ResultsOptions) => Promise<AbTestResults>;
};

const { config } = workerData as { config: Config };

serveRequests(async () => {
  const berth = await openBerth(config, { pipelineWork: false });
  const ops: AnalysisOps = {
    window: (model, query) => berth.monitoring.computeWindow(model, query),
    abtestResults: (name, options) => berth.abtests.computeResults(name, options),
  };
  return ops;
});
