import { Command } from 'commander';
import type { ModelView } from '../../registry/index.js';
import { output, withApi } from '../context.js';
import { parsePairs, shortTime } from '../output.js';

function aliasText(model: ModelView): string {
  return Object.entries(model.aliases).map(([alias, v]) => `${alias}→v${v}`).join(', ');
}

export function modelsCommand(): Command {
  const models = new Command('models').description('create, list, show and delete models');

  models
    .command('create <name>')
    .description('create a model (versions also create their model on first registration)')
    .option('-d, --description <text>', 'what the model is for')
    .option('-t, --tag <key=value...>', 'tags')
    .action(async (name: string, opts: { description?: string; tag?: string[] }, cmd: Command) => {
      const model = await withApi(cmd, (api) => api.createModel({ name, description: opts.description, tags: parsePairs(opts.tag) }));
      output(cmd).result(model, () => output(cmd).line(`created model ${model.name}`));
    });

  models
    .command('list')
    .description('list models')
    .option('--prefix <prefix>', 'only names starting with this')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .action(async (opts: { prefix?: string; limit: number }, cmd: Command) => {
      const page = await withApi(cmd, (api) => api.listModels({ prefix: opts.prefix, limit: opts.limit }));
      const out = output(cmd);
      out.result(page, () => {
        if (page.models.length === 0) return out.line('no models yet: berth versions register NAME --onnx model.onnx');
        out.table(['name', 'versions', 'latest', 'aliases', 'updated', 'description'], page.models.map((m) => [m.name, m.version_count, m.latest_version, aliasText(m), shortTime(m.updated_at), m.description]));
        if (page.next_page_token) out.line(`more models follow (use --prefix or --limit)`);
      });
    });

  models
    .command('show <name>')
    .description('show a model with its versions and aliases')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const [model, versions] = await withApi(cmd, (api) => Promise.all([api.getModel(name), api.listVersions(name)]));
      const out = output(cmd);
      out.result({ ...model, versions }, () => {
        out.line(`model ${model.name}${model.description ? ` — ${model.description}` : ''}`);
        out.line(`created ${shortTime(model.created_at)}, updated ${shortTime(model.updated_at)}`);
        if (Object.keys(model.tags).length > 0) out.line(`tags: ${Object.entries(model.tags).map(([k, v]) => `${k}=${v}`).join(', ')}`);
        out.line(`aliases: ${aliasText(model) || '(none)'}`);
        out.table(['version', 'status', 'aliases', 'task', 'sha256', 'created', 'by'], versions.map((v) => [v.version, v.status, v.aliases.join(', '), v.card.task, v.sha256.slice(0, 12), shortTime(v.created_at), v.created_by]));
      });
    });

  models
    .command('delete <name>')
    .description('delete a model with all its versions and aliases (cannot be undone)')
    .option('--force', 'confirm the deletion')
    .action(async (name: string, opts: { force?: boolean }, cmd: Command) => {
      const result = await withApi(cmd, (api) => api.deleteModel(name, { force: opts.force === true }));
      output(cmd).result(result, () =>
        output(cmd).line(`deleted model ${name}: versions ${result.deleted_versions.join(', ') || '(none)'}; ${result.removed_artifacts.length} artifact(s) removed`),
      );
    });

  return models;
}
