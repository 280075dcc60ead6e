/**
 * Writes test/fixtures/train/breast_cancer_split.json: the rows trainTabular holds out of
 * data/breast_cancer.csv for seed 1 and validSplit 0.2, which scripts/goldens/make_train_goldens.py
 * then fits scikit-learn on. Rerun (and rerun the golden script) only if the split itself changes:
 *
 *     npx tsx test/train/write-split-fixture.ts && /usr/bin/python3 scripts/goldens/make_train_goldens.py
 *
 * test/train/train.test.ts fails if the committed split no longer matches what the trainer does.
 */
import { writeFileSync } from 'node:fs';
import { breastCancerSplitFixture, SPLIT_FIXTURE } from './helpers.js';

writeFileSync(SPLIT_FIXTURE, `${JSON.stringify(breastCancerSplitFixture())}\n`);
console.log(`wrote ${SPLIT_FIXTURE}`);
