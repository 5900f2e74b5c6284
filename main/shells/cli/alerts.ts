import { parseAlertSpec, type AlertRuleInput } from '../../../contract/charts.js';
import type { Api } from '../../../contract/rpc.js';
import { formatTable, reportFailure, writeJson } from './admin-support.js';
import { parseFlags, UsageError, type CliCommand } from './command.js';
import { serviceOptionsFrom, withApi } from './session.js';

const USAGE = `volatility-insight alerts list [--fired] [--symbol S] [--json] [--db FILE]
volatility-insight alerts add RULE [--json] [--db FILE]
volatility-insight alerts remove ID [--db FILE]

  RULE       METRIC>X or z(METRIC)>K, then options: symbol=AAPL, rearm=Y, cooldown=60s,
             and for z-scores window=10m, min=30. Examples: 'vol_1m_ann>0.8',
             'z(vol_1m)>3,symbol=TSLA,cooldown=2m'. Metrics: price, vwap_5m, log_return,
             vol_1m, vol_5m, ewma_vol, vol_1m_ann, vol_5m_ann, ewma_vol_ann
  --fired    list fired alerts (newest first) instead of the rules`;

const FLAGS = {
  db: { type: 'string' },
  json: { type: 'boolean' },
  fired: { type: 'boolean' },
  symbol: { type: 'string' },
} as const;

/** A rule from `--alert` / `alerts add` text; a bad one is a usage error saying what to write. */
export function ruleFromSpec(spec: string): AlertRuleInput {
  try {
    return parseAlertSpec(spec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Adds `--alert` rules before the enrichment starts (an identical rule is not added twice). */
export async function addAlertRules(api: Api, specs: readonly AlertRuleInput[]): Promise<string[]> {
  const added: string[] = [];
  for (const rule of specs) added.push((await api.call('alerts.add', { rule })).description);
  return added;
}

export const alertsCommand: CliCommand = {
  name: 'alerts',
  summary: 'volatility-spike alert rules: list, add, remove; fired alerts (--fired)',
  usage: USAGE,
  async run(argv, ctx) {
    const { values, positionals } = parseFlags(argv, FLAGS, true);
    const [verb, arg, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const options = serviceOptionsFrom(values);
    if (verb === 'add' && !arg)
      throw new UsageError('alerts add needs a RULE, e.g. vol_1m_ann>0.8');
    if (verb === 'remove' && !(arg && /^\d+$/.test(arg))) {
      throw new UsageError('alerts remove needs the rule ID (see alerts list)');
    }
    if (verb !== 'list' && verb !== 'add' && verb !== 'remove') {
      throw new UsageError('use alerts list, alerts add RULE or alerts remove ID');
    }
    const rule = verb === 'add' ? ruleFromSpec(arg!) : null;
    try {
      return await withApi(ctx, options, async (api) => {
        if (verb === 'add') {
          const added = await api.call('alerts.add', { rule: rule! });
          if (values.json) writeJson(ctx, added);
          else ctx.stdout.write(`rule ${added.id}: ${added.description}\n`);
          return 0;
        }
        if (verb === 'remove') {
          const { removed } = await api.call('alerts.remove', { id: Number(arg) });
          if (!removed) {
            ctx.stderr.write(`volatility-insight alerts: no rule ${arg} (see alerts list)\n`);
            return 1;
          }
          ctx.stdout.write(`rule ${arg} removed\n`);
          return 0;
        }
        if (values.fired) {
          const fired = await api.call('alerts.history', {
            ...(values.symbol ? { symbol: values.symbol.toUpperCase() } : {}),
            limit: 200,
          });
          if (values.json) writeJson(ctx, fired);
          else if (fired.length === 0) ctx.stdout.write('no alerts fired\n');
          else
            ctx.stdout.write(
              formatTable(
                ['TIME', 'SYMBOL', 'VALUE', 'THRESHOLD', 'RULE', 'PARTITION', 'OFFSET'],
                fired.map((a) => [
                  new Date(a.ts).toISOString(),
                  a.symbol,
                  a.value,
                  a.threshold,
                  a.rule,
                  a.sourcePartition,
                  a.sourceOffset,
                ]),
                new Set([2, 3, 5, 6]),
              ),
            );
          return 0;
        }
        const rules = await api.call('alerts.list', {});
        if (values.json) writeJson(ctx, rules);
        else if (rules.length === 0) ctx.stdout.write('no alert rules\n');
        else
          ctx.stdout.write(
            formatTable(
              ['ID', 'RULE'],
              rules.map((r) => [r.id, r.description]),
              new Set([0]),
            ),
          );
        return 0;
      });
    } catch (err) {
      return reportFailure(ctx, 'alerts', err);
    }
  },
};
