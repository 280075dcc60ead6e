import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Berth } from '../context/index.js';
import { readCsvRecords } from '../monitoring/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO_MODEL = 'breast-cancer';

/** On an empty home: register the demo model and promote it. Returns true when it did. */
export async function seedDemo(berth: Berth): Promise<boolean> {
  const existing = await berth.registry.listModels({ limit: 1 });
  if (existing.models.length > 0) return false;
  const version = await berth.registry.registerVersion(
    {
      model: DEMO_MODEL,
      file: path.join(ROOT, 'demo', 'breast-cancer.onnx'),
      card: readFileSync(path.join(ROOT, 'demo', 'breast-cancer.card.json'), 'utf8'),
      description: 'Demo: logistic regression on UCI breast cancer (Wisconsin diagnostic)',
    },
    'berth:demo',
  );
  await berth.registry.promote(DEMO_MODEL, version.version, 'berth:demo', { reason: 'demo model registered on first start' });
  // Its training data becomes the drift reference, so /v1/models/breast-cancer/drift works from the start.
  const csv = readFileSync(path.join(ROOT, 'data', 'breast_cancer.csv'), 'utf8');
  await berth.monitoring.references.set(DEMO_MODEL, version.version, await readCsvRecords(csv, 'data/breast_cancer.csv'), 'data/breast_cancer.csv', 'berth:demo');
  // A retraining policy to show the loop: 500 labels (or a 5-point accuracy drop) propose a retraining,
  // which waits for `berth retrain approve ID`.
  await berth.retraining.setPolicy(
    DEMO_MODEL,
    {
      data: { reference: path.join(ROOT, 'data', 'breast_cancer.csv'), label: 'diagnosis' },
      triggers: { feedback: { min_labels: 500 }, accuracy_drop: { min_drop: 0.05 } },
      constraints: { min_hours_between: 24, approval_required: true },
      compare: { metric: 'accuracy', min_delta: 0.01 },
    },
    'berth:demo',
  );
  return true;
}

/** A real row of the demo data, as the JSON body of a predict call. */
export function demoRequestBody(): string {
  const [header, first] = readFileSync(path.join(ROOT, 'data', 'breast_cancer.csv'), 'utf8').split('\n');
  const names = header!.split(',');
  const values = first!.split(',');
  const features = Object.fromEntries(names.slice(0, 30).map((n, i) => [n, Number(values[i])]));
  return JSON.stringify({ inputs: features });
}
