import type { TrackingApi } from '../client/index.js';
import type { Berth } from '../context/index.js';
import { searchRuns } from '../tracking/index.js';

/** The CLI's local mode for tracking: the same store calls the MLflow routes make. */
export function localTrackingApi(berth: Berth): TrackingApi {
  const t = berth.tracking;
  return {
    createExperiment: (name, tags) => t.createExperiment({ name, tags: tags ?? [] }),
    listExperiments: async () => (await t.searchExperiments({ max_results: 50_000 })).experiments,
    getExperimentByName: (name) => t.getExperimentByName(name),
    getRun: (runId) => t.getRun(runId),
    aggregate: (experimentId, tag) => t.aggregate(experimentId, tag),
    searchRuns: async (request) => {
      const { rows, nextPageToken } = await searchRuns(berth.store.db, {
        experimentIds: request.experimentIds.map(Number),
        filter: request.filter,
        orderBy: request.orderBy,
        view: 'ACTIVE_ONLY',
        maxResults: t.maxResults(request.maxResults),
        pageToken: request.pageToken,
      });
      return { runs: await t.runsView(rows), ...(nextPageToken ? { next_page_token: nextPageToken } : {}) };
    },
  };
}
