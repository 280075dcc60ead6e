import { BerthError } from '../../errors/index.js';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { VersionStatus, VersionView } from '../../registry/index.js';
import { output, withApi } from '../context.js';
import { humanBytes, parsePairs, shortTime } from '../output.js';

function readReference(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BerthError('invalid_input', `cannot read reference file ${file}: ${(err as Error).message}`);
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a version number (1, 2, ...), got '${value}'`);
  return n;
}

export function printVersion(cmd: Command, v: VersionView): void {
  const out = output(cmd);
  out.result(v, () => {
    out.line(`${v.model} v${v.version}  [${v.status}]${v.aliases.length ? `  aliases: ${v.aliases.join(', ')}` : ''}`);
    out.line(`sha256 ${v.sha256}  (${humanBytes(v.size_bytes)})`);
    out.line(`created ${shortTime(v.created_at)} by ${v.created_by}${v.description ? ` — ${v.description}` : ''}`);
    if (v.source_run || v.source_dataset) out.line(`source: run ${v.source_run ?? '-'}, dataset ${v.source_dataset ?? '-'}`);
    out.line(`task: ${v.card.task}${v.card.derived ? ' (card derived from the graph)' : ''}`);
    out.table(['input', 'kind', 'dtype', 'shape'], v.signature.inputs.map((t) => [t.name, v.card.inputs.find((i) => i.name === t.name)?.kind ?? '', t.dtype, JSON.stringify(t.shape)]));
    out.table(['output', 'kind', 'dtype', 'shape', 'labels'], v.signature.outputs.map((t) => {
      const o = v.card.outputs.find((c) => c.name === t.name);
      return [t.name, o?.kind ?? '', t.dtype, JSON.stringify(t.shape), o?.labels?.join(', ') ?? ''];
    }));
    const metrics = Object.entries(v.card.metrics ?? {});
    if (metrics.length) out.line(`metrics: ${metrics.map(([k, m]) => `${k}=${m}`).join(', ')}`);
    if (Object.keys(v.tags).length) out.line(`tags: ${Object.entries(v.tags).map(([k, t]) => `${k}=${t}`).join(', ')}`);
  });
}

export function versionsCommand(): Command {
  const versions = new Command('versions').description('register, list, show, update and delete model versions');

  versions
    .command('register <name>')
    .description('register an ONNX file as the next version of a model (creates the model if new)')
    .requiredOption('--onnx <file>', 'the ONNX model file')
    .option('--card <file>', 'model card JSON (derived from the graph when omitted)')
    .option('-d, --description <text>', 'what changed in this version')
    .option('--source-run <id>', 'tracking run that produced it')
    .option('--source-dataset <hash>', 'dataset it was trained on (e.g. sha256:...)')
    .option('-t, --tag <key=value...>', 'tags')
    .option('--reference <file.csv>', 'training data (CSV) to precompute the drift reference from')
    .action(async (name: string, opts: { onnx: string; card?: string; description?: string; sourceRun?: string; sourceDataset?: string; tag?: string[]; reference?: string }, cmd: Command) => {
      let card: string | undefined;
      if (opts.card) {
        try {
          card = readFileSync(opts.card, 'utf8');
        } catch (err) {
          throw new Error(`cannot read card file ${opts.card}: ${(err as Error).message}`);
        }
      }
      const v = await withApi(cmd, (api) =>
        api.registerVersion({ model: name, file: opts.onnx, card, description: opts.description, source_run: opts.sourceRun, source_dataset: opts.sourceDataset, tags: parsePairs(opts.tag) }),
      );
      const reference = opts.reference ? await withApi(cmd, (api) => api.setReference(name, v.version, readReference(opts.reference!), path.basename(opts.reference!))) : undefined;
      output(cmd).result(reference ? { ...v, reference } : v, () => {
        output(cmd).line(`registered ${v.model} v${v.version} (sha256 ${v.sha256.slice(0, 12)}, ${humanBytes(v.size_bytes)})${v.card.derived ? '; card derived from the graph' : ''}`);
        if (reference) output(cmd).line(`drift reference: ${reference.rows} rows of ${reference.source}, ${reference.columns.length} features`);
      });
    });

  versions
    .command('reference <name> <version> <file>')
    .description("set a version's drift reference from its training data (CSV); precomputed once, reports never re-read it")
    .action(async (name: string, version: string, file: string, _opts: unknown, cmd: Command) => {
      const ref = await withApi(cmd, (api) => api.setReference(name, positiveInt(version), readReference(file), path.basename(file)));
      const out = output(cmd);
      out.result(ref, () => {
        out.line(`${ref.model} v${ref.version}: drift reference of ${ref.rows} rows from ${ref.source}${ref.sampled ? ` (numeric columns sketched to ${ref.max_sample} quantiles)` : ''}`);
        out.table(['feature', 'kind', 'unique', 'missing'], ref.columns.map((c) => [c.name, c.kind, c.unique, c.missing]));
        if (ref.predictions.label_counts) out.line(`predicted labels on the reference: ${Object.entries(ref.predictions.label_counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      });
    });

  versions
    .command('list <name>')
    .description('list versions, newest first')
    .addOption(new Option('--status <status>', 'only this status').choices(['ready', 'archived']))
    .action(async (name: string, opts: { status?: VersionStatus }, cmd: Command) => {
      const list = await withApi(cmd, (api) => api.listVersions(name, { status: opts.status }));
      const out = output(cmd);
      out.result(list, () =>
        out.table(['version', 'status', 'aliases', 'task', 'size', 'sha256', 'created', 'by', 'description'], list.map((v) => [v.version, v.status, v.aliases.join(', '), v.card.task, humanBytes(v.size_bytes), v.sha256.slice(0, 12), shortTime(v.created_at), v.created_by, v.description])),
      );
    });

  versions
    .command('show <name> <version>')
    .description('show a version: checksum, signature, card, metrics')
    .action(async (name: string, version: string, _opts: unknown, cmd: Command) => {
      printVersion(cmd, await withApi(cmd, (api) => api.getVersion(name, positiveInt(version))));
    });

  versions
    .command('update <name> <version>')
    .description('change a version description or status (archive / restore)')
    .addOption(new Option('--status <status>', 'ready or archived').choices(['ready', 'archived']))
    .option('-d, --description <text>', 'new description')
    .action(async (name: string, version: string, opts: { status?: VersionStatus; description?: string }, cmd: Command) => {
      printVersion(cmd, await withApi(cmd, (api) => api.updateVersion(name, positiveInt(version), opts)));
    });

  versions
    .command('delete <name> <version>')
    .description('delete a version no alias points to')
    .action(async (name: string, version: string, _opts: unknown, cmd: Command) => {
      const result = await withApi(cmd, (api) => api.deleteVersion(name, positiveInt(version)));
      output(cmd).result(result, () => output(cmd).line(`deleted ${name} v${result.version}${result.removed_artifact ? ' and its artifact' : ' (artifact kept: another version shares it)'}`));
    });

  return versions;
}

export { positiveInt };
