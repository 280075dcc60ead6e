import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { Berth } from '../../context/index.js';
import { BerthError } from '../../errors/index.js';
import type { RetrainEventView } from '../../retraining/index.js';
import { localActor, output, requireLocal, withBerth } from '../context.js';
import { shortTime, type Output } from '../output.js';

/**
 * Waits for the event's pipeline and then for its outcome: the process that finishes the run (this one,
 * or a worker) records the outcome just after the run's last state change.
 */
async function waitForOutcome(berth: Berth, event: RetrainEventView): Promise<RetrainEventView> {
  if (!event.pipeline_run_id) return event;
  await berth.pipelines.waitFor(event.pipeline_run_id);
  for (let i = 0; i < 300; i++) {
    const current = await berth.retraining.event(event.id);
    if (current.outcome !== null) return current;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return berth.retraining.event(event.id);
}

/** On SQLite the pipeline runs in this process: leaving early would abandon it, so the command waits. */
function mustWait(berth: Berth, wait: boolean | undefined): boolean {
  return wait === true || berth.pipelines.queueKind === 'inprocess';
}

function eventId(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a retraining event id (1, 2, ...), got '${value}'`);
  return n;
}

function printEvents(out: Output, events: RetrainEventView[]): void {
  out.table(
    ['id', 'time', 'trigger', 'decision', 'outcome', 'versions', 'reason'],
    events.map((e) => [
      e.id,
      shortTime(e.created_at),
      e.trigger,
      e.decision,
      e.outcome ?? (e.pipeline_run_id ? 'running' : ''),
      e.challenger_version !== null ? `v${e.champion_version ?? '-'} → v${e.challenger_version}` : '',
      (e.outcome_reason ? `${e.reason} — ${e.outcome_reason}` : e.reason).slice(0, 200),
    ]),
  );
}

function printEvent(out: Output, e: RetrainEventView): void {
  out.line(`event ${e.id} (${e.model}): ${e.trigger} → ${e.decision}${e.outcome ? `, ${e.outcome}` : ''}`);
  out.line(`  ${e.reason}`);
  if (e.pipeline_run_id) out.line(`  pipeline run ${e.pipeline_run_id} (berth pipeline show ${e.pipeline_run_id})`);
  if (e.outcome_reason) out.line(`  ${e.outcome_reason}`);
}

/** `berth retrain`: trigger a retraining by hand, approve or reject one, read the history, set the policy. */
export function retrainCommand(): Command {
  const cmd = new Command('retrain')
    .description("retrain a model under its policy: manual triggers, approvals, history")
    .argument('[name]', 'model to retrain now (a manual trigger)')
    .option('-r, --reason <text>', 'why (recorded in the history)', 'manual')
    .option('--force', 'ignore min_hours_between and max_per_day (approval is still required when the policy says so)')
    .option('--wait', 'wait for the retraining pipeline to end and print its outcome (always on SQLite, where it runs in this process)')
    .action(async (name: string | undefined, opts: { reason: string; force?: boolean; wait?: boolean }, command: Command) => {
      if (!name) {
        command.help();
        return;
      }
      requireLocal(command, 'retrain');
      const out = output(command);
      await withBerth(command, async (berth) => {
        let event = await berth.retraining.trigger(name, { reason: opts.reason, actor: localActor(), force: opts.force });
        if (mustWait(berth, opts.wait)) event = await waitForOutcome(berth, event);
        out.result(event, () => printEvent(out, event));
      });
    });

  cmd
    .command('approve')
    .description('approve a retraining waiting for approval: its pipeline starts')
    .argument('<id>', 'event id (berth retrain history NAME)')
    .option('--wait', 'wait for the pipeline to end')
    .action(async (id: string, opts: { wait?: boolean }, command: Command) => {
      requireLocal(command, 'retrain');
      const out = output(command);
      await withBerth(command, async (berth) => {
        let event = await berth.retraining.approve(eventId(id), localActor());
        if (mustWait(berth, opts.wait)) event = await waitForOutcome(berth, event);
        out.result(event, () => printEvent(out, event));
      });
    });

  cmd
    .command('reject')
    .description('reject a retraining waiting for approval')
    .argument('<id>', 'event id')
    .option('-r, --reason <text>', 'why')
    .action(async (id: string, opts: { reason?: string }, command: Command) => {
      requireLocal(command, 'retrain');
      const out = output(command);
      const event = await withBerth(command, (berth) => berth.retraining.reject(eventId(id), localActor(), opts.reason));
      out.result(event, () => printEvent(out, event));
    });

  cmd
    .command('history')
    .description('every trigger that fired, was suppressed (and why), approved or rejected, with outcomes')
    .argument('<name>', 'model')
    .option('-n, --limit <n>', 'at most this many', '100')
    .action(async (name: string, opts: { limit: string }, command: Command) => {
      requireLocal(command, 'retrain');
      const out = output(command);
      const events = await withBerth(command, (berth) => berth.retraining.history(name, Number(opts.limit)));
      out.result(events, () => printEvents(out, events));
    });

  cmd
    .command('evaluate')
    .description("check every policy's triggers now (berth serve does this every retraining.evaluate_every_seconds)")
    .option('--wait', 'wait for pipelines that start')
    .action(async (opts: { wait?: boolean }, command: Command) => {
      requireLocal(command, 'retrain');
      const out = output(command);
      await withBerth(command, async (berth) => {
        let events = await berth.retraining.evaluate();
        if (mustWait(berth, opts.wait)) events = await Promise.all(events.map((e) => waitForOutcome(berth, e)));
        out.result(events, () => (events.length ? printEvents(out, events) : out.line('no trigger holds')));
      });
    });

  cmd
    .command('policy')
    .description("show a model's retraining policy, or set it from a YAML/JSON file")
    .argument('<name>', 'model')
    .option('-f, --file <policy.yaml>', 'set the policy from this file')
    .option('--delete', 'remove the policy')
    .action(async (name: string, opts: { file?: string; delete?: boolean }, command: Command) => {
      requireLocal(command, 'retrain');
      const out = output(command);
      await withBerth(command, async (berth) => {
        if (opts.delete) {
          await berth.retraining.deletePolicy(name, localActor());
          out.result({ deleted: name }, () => out.line(`retraining policy of ${name} deleted`));
          return;
        }
        if (opts.file) {
          let input: unknown;
          try {
            input = parseYaml(readFileSync(opts.file, 'utf8'));
          } catch (err) {
            throw new BerthError('invalid_input', `cannot read policy file ${opts.file}: ${(err as Error).message}`);
          }
          await berth.retraining.setPolicy(name, input, localActor());
        }
        const view = await berth.retraining.getPolicy(name);
        out.result(view, () => {
          out.line(`retraining policy of ${name} (updated ${shortTime(view.updated_at)} by ${view.updated_by}):`);
          process.stdout.write(`${JSON.stringify(view.policy, null, 2)}\n`);
        });
      });
    });

  return cmd;
}
