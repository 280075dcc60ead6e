import { stringify } from 'yaml';
import { parsePipeline, type PipelineSpec } from '../pipelines/index.js';
import type { RetrainPolicy } from './policy.js';

/**
 * The built-in retraining pipeline: assemble training data (the reference + labelled production rows)
 * and a recent holdout, train a challenger, judge champion and challenger on that same holdout, then
 * promote or A/B test the challenger only when it wins. Built as a pipeline file and parsed like one,
 * so it is exactly what a user could write.
 */
export function retrainingPipeline(model: string, policy: RetrainPolicy): PipelineSpec {
  const p = (name: string) => `\${{ params.${name} }}`;
  const train = policy.train ?? {};
  const compare = policy.compare ?? {};
  const doc = {
    name: `retrain-${model}`.slice(0, 128),
    description: `Berth's built-in retraining of ${model}`,
    params: {
      model,
      reference: policy.data.reference,
      label: policy.data.label,
      since: 0,
      action: policy.action ?? 'promote',
      reason: 'retraining',
    },
    steps: [
      { id: 'assemble', uses: 'assemble', with: { model: p('model'), reference: p('reference'), label: p('label'), since: p('since') } },
      {
        id: 'train',
        uses: 'train',
        needs: ['assemble'],
        with: {
          data: '${{ steps.assemble.outputs.train }}',
          label: p('label'),
          model: p('model'),
          algo: train.algo ?? 'logreg',
          ...(train.seeds ? { seeds: train.seeds } : {}),
          ...(train.valid_split !== undefined ? { valid_split: train.valid_split } : {}),
          description: `retrained: ${p('reason')}`,
        },
      },
      {
        id: 'compare',
        uses: 'compare',
        needs: ['train', 'assemble'],
        with: {
          model: p('model'),
          challenger: '${{ steps.train.outputs.version }}',
          data: '${{ steps.assemble.outputs.holdout }}',
          label: p('label'),
          ...(compare.metric ? { metric: compare.metric } : {}),
          ...(compare.min_delta !== undefined ? { min_delta: compare.min_delta } : {}),
          ...(compare.min_relative !== undefined ? { min_relative: compare.min_relative } : {}),
          ...(compare.guardrails ? { guardrails: compare.guardrails } : {}),
        },
      },
      {
        id: 'promote',
        uses: 'promote',
        needs: ['compare', 'train'],
        if: "steps.compare.outputs.better && params.action == 'promote'",
        with: { model: p('model'), version: '${{ steps.train.outputs.version }}', reason: '${{ params.reason }}: ${{ steps.compare.outputs.reason }}' },
      },
      {
        id: 'abtest',
        uses: 'abtest',
        needs: ['compare', 'train'],
        if: "steps.compare.outputs.better && params.action == 'abtest'",
        with: { model: p('model'), challenger: '${{ steps.train.outputs.version }}' },
      },
    ],
  };
  return parsePipeline(stringify(doc), `builtin:retrain-${model}`);
}
