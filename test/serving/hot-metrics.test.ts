import fc from 'fast-check';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from '../../src/serving/hot-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];

/** The same observations through prom-client's own metrics and through the hot ones: the exposition must match. */
async function both(observations: Array<{ model: string; status: string; value: number }>): Promise<[string, string]> {
  const reference = new client.Registry();
  const refHistogram = new client.Histogram({ name: 'h_seconds', help: 'h', labelNames: ['model'], buckets: BUCKETS, registers: [reference] });
  const refCounter = new client.Counter({ name: 'c_total', help: 'c', labelNames: ['model', 'status'], registers: [reference] });
  const hot = new client.Registry();
  const histogram = new HotHistogram('h_seconds', 'h', ['model'] as const, BUCKETS, hot);
  const counter = new HotCounter('c_total', 'c', ['model', 'status'] as const, hot);
  for (const o of observations) {
    refHistogram.observe({ model: o.model }, o.value);
    refCounter.inc({ model: o.model, status: o.status }, 2);
    histogram.observe({ model: o.model }, o.value);
    counter.child({ model: o.model, status: o.status }).value += 2;
  }
  return [await reference.metrics(), await hot.metrics()];
}

describe('hot metrics (the predict path counters and histograms)', () => {
  it('expose exactly what prom-client exposes for the same observations, bucket bounds included (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            model: fc.constantFrom('a', 'b', 'with "quote"'),
            status: fc.constantFrom('ok', 'invalid_input'),
            value: fc.oneof(fc.constantFrom(...BUCKETS, 0, 100), fc.double({ min: 0, max: 20, noNaN: true })),
          }),
          { maxLength: 50 },
        ),
        async (observations) => {
          const [reference, hot] = await both(observations);
          expect(hot).toBe(reference);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps one series per label set and starts over on reset', async () => {
    const registry = new client.Registry();
    const counter = new HotCounter('x_total', 'x', ['model'] as const, registry);
    const child = counter.child({ model: 'm' });
    expect(counter.child({ model: 'm' })).toBe(child);
    counter.inc({ model: 'm' }, 3);
    child.value += 1;
    expect((await counter.get()).values).toEqual([{ value: 4, labels: { model: 'm' } }]);
    registry.resetMetrics();
    expect((await counter.get()).values).toEqual([]);
  });
});
