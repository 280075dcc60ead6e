import type { BerthApi } from '../client/index.js';
import type { Berth } from '../context/index.js';
import { readCsvRecords, referenceView } from '../monitoring/index.js';

/**
 * The CLI's local mode: the same registry calls the REST handlers make, on the store this machine is
 * configured for, acting as `actor`.
 */
export function localApi(berth: Berth, actor: string): BerthApi {
  const r = berth.registry;
  return {
    createModel: (input) => r.createModel(input, actor),
    listModels: (query) => r.listModels(query),
    getModel: (name) => r.getModel(name),
    updateModel: (name, patch) => r.updateModel(name, patch, actor),
    deleteModel: (name, opts) => r.deleteModel(name, opts, actor),
    setModelTags: (name, tags) => r.setModelTags(name, tags, actor),
    deleteModelTag: (name, key) => r.deleteModelTags(name, [key], actor),
    registerVersion: (input) => r.registerVersion(input, actor),
    listVersions: (name, query) => r.listVersions(name, query),
    getVersion: (name, version) => r.getVersion(name, version),
    updateVersion: (name, version, patch) => r.updateVersion(name, version, patch, actor),
    deleteVersion: (name, version) => r.deleteVersion(name, version, actor),
    setVersionTags: (name, version, tags) => r.setVersionTags(name, version, tags, actor),
    deleteVersionTag: (name, version, key) => r.deleteVersionTags(name, version, [key], actor),
    compare: (name, a, b) => r.compare(name, a, b),
    setReference: async (name, version, csv, source) => referenceView(await berth.monitoring.references.set(name, version, await readCsvRecords(csv, source), source, actor)),
    monitoringSummary: (name, query = {}) => berth.monitoring.summary(name, query),
    listAlerts: (query = {}) => berth.monitoring.alerts.list(query),
    listAlertRules: () => berth.monitoring.alerts.rules(),
    recordFeedback: (items) => berth.monitoring.feedback.record(items),
    listAliases: (name) => r.listAliases(name),
    aliasHistory: (name, alias) => r.aliasHistory(name, alias),
    setAlias: (name, alias, version, reason) => r.setAlias(name, alias, version, actor, reason),
    deleteAlias: (name, alias) => r.deleteAlias(name, alias, actor),
    promote: (name, version, opts) => r.promote(name, version, actor, opts),
    rollback: (name, opts) => r.rollback(name, actor, opts),
    audit: (query) => r.audit(query ?? {}),
    createKey: (input) => berth.keys.create(input, actor),
    listKeys: () => berth.keys.list(),
    revokeKey: (id) => berth.keys.revoke(id, actor),
  };
}
