import {
  Chart,
  Decimation,
  Filler,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import type {
  AlertRule,
  BarsResult,
  FiredAlert,
  LivePoint,
  SeriesMetric,
  SeriesResult,
} from '../../contract/charts.js';
import type { AppApi } from '../api-client.js';
import { field, h, replace, setText, show } from '../dom.js';
import { explain } from '../errors.js';
import type { Store } from '../store.js';
import type { Screen } from './frame.js';

Chart.register(
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  Tooltip,
  Legend,
  Decimation,
  Filler,
);

/**
 * Charts (issue 9): for one symbol at a time, price with VWAP, volatility (1 min, 5 min, EWMA;
 * raw or annualised) and one-minute bars with the Parkinson estimate; a live window that follows
 * the trades' own clock (5 min, 15 min, 1 h) or a historical range read from SQLite; fired
 * alerts as markers and in a list; alert rules. chart.js as its performance guide says: no
 * animation, pre-parsed {x, y} data (parsing: false, normalized), the decimation plugin, fixed
 * axis ranges, bounded ring buffers; charts that are not visible are not updated.
 */

/** Points kept per live series (a ring: the oldest go first). */
const RING = 4000;
const TZ_KEY = 'vi.timezone';
const WINDOWS = [
  { label: 'Live: 5 min', ms: 5 * 60_000 },
  { label: 'Live: 15 min', ms: 15 * 60_000 },
  { label: 'Live: 1 h', ms: 60 * 60_000 },
] as const;

type Pt = { x: number; y: number };

function zone(): 'utc' | 'local' {
  try {
    return localStorage.getItem(TZ_KEY) === 'local' ? 'local' : 'utc';
  } catch {
    return 'utc';
  }
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** 2025-07-07 14:23:45.123 UTC (or local, with its offset). */
export function formatTime(ms: number, tz = zone(), withDate = true): string {
  const d = new Date(ms);
  const utc = tz === 'utc';
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const M = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const D = utc ? d.getUTCDate() : d.getDate();
  const hh = utc ? d.getUTCHours() : d.getHours();
  const mm = utc ? d.getUTCMinutes() : d.getMinutes();
  const ss = utc ? d.getUTCSeconds() : d.getSeconds();
  const time = `${pad(hh)}:${pad(mm)}:${pad(ss)}`;
  if (!withDate) return time;
  const off = -d.getTimezoneOffset();
  const zoneText = utc
    ? 'UTC'
    : `UTC${off >= 0 ? '+' : '−'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${Y}-${pad(M)}-${pad(D)} ${time}.${pad(d.getUTCMilliseconds(), 3)} ${zoneText}`;
}

function num(v: number): string {
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001
    ? v.toPrecision(8)
    : String(Number(v.toPrecision(8)));
}

/** A line dataset over pre-parsed points. */
function line(
  label: string,
  color: string,
  yAxisID = 'y',
  extra: object = {},
): ChartDataset<'line', Pt[]> {
  return {
    label,
    data: [],
    borderColor: color,
    backgroundColor: color,
    borderWidth: 1.5,
    pointRadius: 0,
    pointHoverRadius: 3,
    spanGaps: true,
    yAxisID,
    ...extra,
  } as ChartDataset<'line', Pt[]>;
}

function markers(label: string): ChartDataset<'line', Pt[]> {
  return {
    label,
    data: [],
    type: 'scatter',
    showLine: false,
    pointRadius: 6,
    pointHoverRadius: 8,
    pointStyle: 'triangle',
    borderColor: '#c2410c',
    backgroundColor: '#f97316',
  } as unknown as ChartDataset<'line', Pt[]>;
}

interface Panel {
  figure: HTMLElement;
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
  chart: Chart<'line', Pt[]>;
  title: string;
}

function panel(title: string, datasets: ChartDataset<'line', Pt[]>[], y2 = false): Panel {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${title}: no points` });
  const caption = h('figcaption', { class: 'chart-caption' }, `${title} — points: 0`);
  const figure = h(
    'figure',
    { class: 'chart-panel', 'aria-label': title },
    caption,
    h('div', { class: 'chart-box' }, canvas),
  );
  const tick = (v: number | string) => formatTime(Number(v), zone(), false);
  const chart = new Chart<'line', Pt[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: { type: 'linear', ticks: { callback: tick, maxTicksLimit: 6, maxRotation: 0 } },
        y: { type: 'linear', position: 'left' },
        ...(y2
          ? { y2: { type: 'linear', position: 'right', grid: { drawOnChartArea: false } } }
          : {}),
      },
      plugins: {
        decimation: { enabled: true, algorithm: 'min-max' },
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: (items) => (items[0] ? formatTime(items[0].parsed.x ?? 0) : ''),
            label: (item) => `${item.dataset.label ?? ''}: ${num(item.parsed.y ?? 0)}`,
          },
        },
      },
    },
  });
  return { figure, canvas, caption, chart, title };
}

/** Appends to a bounded ring; drops points older than `minX`. */
function pushRing(data: Pt[], p: Pt, minX: number): void {
  if (data.length > 0 && p.x < data[data.length - 1]!.x) return; // out of order: the next query has it
  data.push(p);
  let drop = 0;
  while (drop < data.length && data[drop]!.x < minX) drop++;
  if (data.length - drop > RING) drop = data.length - RING;
  if (drop > 0) data.splice(0, drop);
}

function toPts(r: SeriesResult, symbol: string, metric: SeriesMetric): Pt[] {
  const s = r.series.find((x) => x.symbol === symbol && x.metric === metric);
  if (!s) return [];
  return s.t.map((t, i) => ({ x: t, y: s.v[i]! }));
}

function errorText(err: unknown): string {
  const e = explain(err);
  return `${e.title}: ${e.message}`;
}

function datetimeLocal(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export function createCharts(api: AppApi, store: Store, announce: (t: string) => void): Screen {
  void store;
  let symbol = '';
  let windowMs: number | null = WINDOWS[0].ms;
  let annualised = true;
  let range: { fromMs: number; toMs: number } | null = null;
  let newest = 0;
  let dirty = false;
  let loading = 0;
  let rules: AlertRule[] = [];
  let alerts: FiredAlert[] = [];

  const volKeys = (): SeriesMetric[] =>
    annualised ? ['vol_1m_ann', 'vol_5m_ann', 'ewma_vol_ann'] : ['vol_1m', 'vol_5m', 'ewma_vol'];

  const price = panel('Price and VWAP', [
    line('price', '#2563eb'),
    line('VWAP 5 min', '#16a34a'),
    markers('alerts'),
  ]);
  const vol = panel('Volatility', [
    line('1 min', '#7c3aed'),
    line('5 min', '#db2777'),
    line('EWMA', '#0891b2'),
  ]);
  const bars = panel(
    'One-minute bars and Parkinson volatility',
    [
      line('high', '#94a3b8', 'y', { borderWidth: 1, stepped: true }),
      line('low', '#94a3b8', 'y', {
        borderWidth: 1,
        stepped: true,
        fill: '-1',
        backgroundColor: 'rgba(148,163,184,0.25)',
      }),
      line('close', '#2563eb', 'y', { stepped: true }),
      line('Parkinson', '#ea580c', 'y2'),
    ],
    true,
  );
  /** Volatility axis: annualised values as percentages (the rules' "0.8 for 80%"), else per trade. */
  const setVolAxis = () => {
    const y = vol.chart.options.scales?.['y'];
    if (!y) return;
    y.title = { display: true, text: annualised ? 'annualised' : 'per trade' };
    y.ticks = annualised
      ? { callback: (v: number | string) => `${+(Number(v) * 100).toPrecision(6)}%` }
      : {};
  };
  setVolAxis();
  const panels = [price, vol, bars];

  // ---- toolbar ------------------------------------------------------------------------------
  const symbolSelect = h('select', {
    on: {
      change: () => {
        symbol = symbolSelect.value;
        void reload();
      },
    },
  });
  const rangeSelect = h(
    'select',
    {
      on: {
        change: () => {
          const w = WINDOWS.find((x) => String(x.ms) === rangeSelect.value);
          windowMs = w ? w.ms : null;
          show(historical, windowMs === null);
          if (windowMs !== null) void reload();
        },
      },
    },
    ...WINDOWS.map((w) => h('option', { value: String(w.ms) }, w.label)),
    h('option', { value: 'range' }, 'Historical range'),
  );
  const fromInput = h('input', { type: 'datetime-local', step: '1' });
  const toInput = h('input', { type: 'datetime-local', step: '1' });
  const showRange = h(
    'button',
    { type: 'button', on: { click: () => void applyRange() } },
    'Show range',
  );
  const historical = h(
    'div',
    { class: 'row' },
    field('From (UTC)', fromInput),
    field('To (UTC)', toInput),
    showRange,
  );
  historical.hidden = true;
  const annualisedBox = h('input', {
    type: 'checkbox',
    checked: true,
    on: {
      change: () => {
        annualised = annualisedBox.checked;
        setVolAxis();
        void reload();
      },
    },
  });
  const tzSelect = h(
    'select',
    {
      on: {
        change: () => {
          try {
            localStorage.setItem(TZ_KEY, tzSelect.value);
          } catch {
            // the preference is not kept; the switch still applies now
          }
          for (const p of panels) p.chart.update('none');
          renderAlerts();
        },
      },
    },
    h('option', { value: 'utc' }, 'UTC'),
    h('option', { value: 'local' }, 'Local time'),
  );
  tzSelect.value = zone();
  const statusLine = h('p', { class: 'chart-status', role: 'status' });
  const errorLine = h('p', { class: 'error-box', role: 'alert', hidden: true });

  // ---- alerts -------------------------------------------------------------------------------
  const alertList = h('ul', { class: 'alert-list', 'aria-label': 'Fired alerts' });
  const alertsEmpty = h('p', { class: 'muted' }, 'No alerts fired for this symbol yet.');
  const ruleList = h('ul', { class: 'rule-list', 'aria-label': 'Alert rules' });
  const kindSelect = h(
    'select',
    { on: { change: () => (levelHint.textContent = levelText()) } },
    h('option', { value: 'threshold' }, 'Metric above a level'),
    h('option', { value: 'zscore' }, 'z-score above k'),
  );
  const metricSelect = h(
    'select',
    null,
    ...(
      [
        'vol_1m_ann',
        'vol_5m_ann',
        'ewma_vol_ann',
        'vol_1m',
        'vol_5m',
        'ewma_vol',
        'price',
        'vwap_5m',
        'log_return',
      ] as const
    ).map((m) => h('option', { value: m }, m)),
  );
  const scopeSelect = h('select', null, h('option', { value: '' }, 'All symbols'));
  const levelInput = h('input', { type: 'number', step: 'any', value: '0.8', required: true });
  const levelText = () =>
    kindSelect.value === 'zscore' ? 'k, e.g. 3' : 'e.g. 0.8 for 80% annualised';
  const levelHint = h('span', null, levelText());
  const cooldownInput = h('input', { type: 'number', min: '0', step: '1', value: '60' });
  const ruleError = h('p', { class: 'error-box', role: 'alert', hidden: true });
  const addRule = h('button', { type: 'submit', class: 'primary' }, 'Add rule');
  const ruleForm = h(
    'form',
    {
      class: 'rule-form',
      'aria-label': 'New alert rule',
      on: {
        submit: (e) => {
          e.preventDefault();
          void submitRule();
        },
      },
    },
    field('Rule', kindSelect),
    field('Metric', metricSelect),
    field('Symbols', scopeSelect),
    field('Level', levelInput, levelHint),
    field('Cooldown (s)', cooldownInput),
    addRule,
    ruleError,
  );

  const empty = h('p', { class: 'empty-state-text' });
  const element = h(
    'section',
    { class: 'screen charts', 'aria-labelledby': 'charts-title' },
    h('h1', { id: 'charts-title', class: 'screen-title' }, 'Charts'),
    h(
      'div',
      { class: 'chart-toolbar row' },
      field('Symbol', symbolSelect),
      field('Range', rangeSelect),
      field('Annualised', annualisedBox),
      field('Times in', tzSelect),
    ),
    historical,
    statusLine,
    errorLine,
    empty,
    h('div', { class: 'chart-grid' }, ...panels.map((p) => p.figure)),
    h(
      'section',
      { class: 'alerts-panel', 'aria-labelledby': 'alerts-title' },
      h('h2', { id: 'alerts-title' }, 'Alerts'),
      alertsEmpty,
      alertList,
      h('h3', null, 'Rules'),
      ruleList,
      ruleForm,
    ),
  );

  // ---- data ---------------------------------------------------------------------------------
  const setDatasets = (p: Panel, series: Pt[][]) => {
    series.forEach((d, i) => {
      const ds = p.chart.data.datasets[i];
      if (ds) ds.data = d;
    });
  };

  const xRange = (): { min: number; max: number } | null => {
    if (range) return { min: range.fromMs, max: range.toMs };
    if (windowMs !== null && newest > 0) return { min: newest - windowMs, max: newest };
    return null;
  };

  function render(): void {
    if (element.hidden || document.visibilityState !== 'visible') {
      dirty = true;
      return;
    }
    dirty = false;
    const xr = xRange();
    for (const p of panels) {
      const x = p.chart.options.scales?.x;
      if (x && xr) {
        x.min = xr.min;
        x.max = xr.max;
      }
      const n = p.chart.data.datasets
        .filter((d) => d.label !== 'alerts')
        .reduce((s, d) => s + d.data.length, 0);
      const name = `${p.title}${symbol ? ` — ${symbol}` : ''}`;
      setText(p.caption, `${name} — points: ${n}`);
      p.canvas.setAttribute(
        'aria-label',
        `${name}: ${n} points${xr ? `, ${formatTime(xr.min)} to ${formatTime(xr.max)}` : ''}`,
      );
      p.chart.update('none');
    }
    const total = price.chart.data.datasets[0]!.data.length;
    const nothing = total === 0 && loading === 0;
    show(empty, nothing);
    setText(
      empty,
      symbol
        ? `No trades for ${symbol} in this range — start the producer and the enrichment, or pick another range.`
        : 'No trades stored yet — start the producer and the enrichment on the Controls screen.',
    );
    setText(
      statusLine,
      loading > 0
        ? 'Loading…'
        : !symbol
          ? ''
          : range
            ? `${symbol}: ${formatTime(range.fromMs)} to ${formatTime(range.toMs)} from the database`
            : `${symbol}: live, the last ${Math.round((windowMs ?? 0) / 60_000)} min of trades`,
    );
  }

  async function loadSymbols(): Promise<void> {
    const stored = await api.call('series.symbols', {});
    addSymbols(stored);
  }

  function addSymbols(list: string[]): void {
    const have = new Set([...symbolSelect.options].map((o) => o.value));
    let added = false;
    for (const s of list) {
      if (have.has(s)) continue;
      symbolSelect.append(h('option', { value: s }, s));
      scopeSelect.append(h('option', { value: s }, s));
      added = true;
    }
    if (!symbol && symbolSelect.options.length > 0) {
      symbol = symbolSelect.options[0]!.value;
      symbolSelect.value = symbol;
      void reload();
    } else if (added) render();
  }

  async function reload(): Promise<void> {
    if (!symbol) {
      render();
      return;
    }
    const target = range ?? (windowMs !== null ? { lastMs: windowMs } : null);
    if (!target) return;
    loading++;
    render();
    try {
      const [series, barsResult, fired] = await Promise.all([
        api.call('series.query', {
          symbols: [symbol],
          range: target,
          metrics: ['price', 'vwap_5m', ...volKeys()],
          maxPoints: 1000,
        }),
        api.call('bars.query', { symbol, range: target, maxBars: 1000 }),
        api.call('alerts.history', {
          symbol,
          ...(range ? { fromMs: range.fromMs, toMs: range.toMs } : {}),
          limit: 200,
        }),
      ]);
      if (!range) newest = Math.max(newest, (series.toMs ?? 1) - 1);
      setDatasets(price, [toPts(series, symbol, 'price'), toPts(series, symbol, 'vwap_5m')]);
      setDatasets(
        vol,
        volKeys().map((m) => toPts(series, symbol, m)),
      );
      setBars(barsResult);
      alerts = fired;
      renderAlerts();
      show(errorLine, false);
    } catch (err) {
      show(errorLine, true);
      setText(errorLine, `Could not read the charts' data: ${errorText(err)}`);
    } finally {
      loading--;
      render();
    }
  }

  function setBars(r: BarsResult): void {
    const hi: Pt[] = [];
    const lo: Pt[] = [];
    const close: Pt[] = [];
    const pk: Pt[] = [];
    const scale = annualised ? Math.sqrt((252 * 6.5 * 3_600_000) / r.intervalMs) : 1;
    for (const b of r.bars) {
      hi.push({ x: b.start, y: b.high });
      lo.push({ x: b.start, y: b.low });
      close.push({ x: b.start, y: b.close });
      if (b.parkinson !== null) pk.push({ x: b.start, y: b.parkinson * scale });
    }
    setDatasets(bars, [hi, lo, close, pk]);
    const ds = bars.chart.data.datasets[3];
    if (ds) ds.label = annualised ? 'Parkinson (annualised)' : 'Parkinson (per bar)';
  }

  async function applyRange(): Promise<void> {
    const from = Date.parse(`${fromInput.value}Z`);
    const to = Date.parse(`${toInput.value}Z`);
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
      show(errorLine, true);
      setText(errorLine, 'Choose a From time before the To time.');
      return;
    }
    range = { fromMs: from, toMs: to };
    await reload();
    announce(`Showing ${symbol} from ${formatTime(from)} to ${formatTime(to)}`);
  }

  function onPoints(points: LivePoint[]): void {
    const fresh: string[] = [];
    for (const p of points)
      if (![...symbolSelect.options].some((o) => o.value === p.symbol)) fresh.push(p.symbol);
    if (fresh.length > 0) addSymbols([...new Set(fresh)]);
    if (range || windowMs === null || !symbol) return;
    let any = false;
    const keys = volKeys();
    for (const p of points) {
      if (p.symbol !== symbol) continue;
      any = true;
      newest = Math.max(newest, p.ts);
      const minX = newest - windowMs;
      pushRing(price.chart.data.datasets[0]!.data, { x: p.ts, y: p.price }, minX);
      pushRing(price.chart.data.datasets[1]!.data, { x: p.ts, y: p.vwap_5m }, minX);
      keys.forEach((k, i) => {
        const v = p[k];
        if (v !== null) pushRing(vol.chart.data.datasets[i]!.data, { x: p.ts, y: v }, minX);
      });
    }
    if (any) render();
  }

  // ---- alerts and rules ---------------------------------------------------------------------
  function renderAlerts(): void {
    const mine = alerts.filter((a) => a.symbol === symbol);
    show(alertsEmpty, mine.length === 0);
    replace(
      alertList,
      ...mine
        .slice(0, 50)
        .map((a) =>
          h(
            'li',
            null,
            h('time', { datetime: new Date(a.ts).toISOString() }, formatTime(a.ts)),
            ` ${a.symbol}: ${a.kind === 'zscore' ? `z = ${num(a.value)}` : `${a.metric} = ${num(a.value)}`} > ${num(a.threshold)} — ${a.rule}`,
          ),
        ),
    );
    const marks = price.chart.data.datasets[2];
    if (marks) {
      const xr = xRange();
      marks.data = mine
        .filter((a) => !xr || (a.ts >= xr.min && a.ts <= xr.max))
        .map((a) => ({ x: a.ts, y: a.price }))
        .sort((a, b) => a.x - b.x);
    }
    render();
  }

  function onAlerts(fired: FiredAlert[]): void {
    alerts = [...fired, ...alerts].slice(0, 500);
    renderAlerts();
    const here = fired.filter((a) => a.symbol === symbol);
    if (here.length > 0) announce(`Alert: ${here[0]!.symbol} ${here[0]!.rule}`);
  }

  async function loadRules(): Promise<void> {
    rules = await api.call('alerts.list', {});
    replace(
      ruleList,
      ...(rules.length === 0
        ? [h('li', { class: 'muted' }, 'No rules yet.')]
        : rules.map((r) =>
            h(
              'li',
              null,
              h('span', null, r.description),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  'aria-label': `Remove rule ${r.description}`,
                  on: { click: () => void removeRule(r.id) },
                },
                'Remove',
              ),
            ),
          )),
    );
  }

  async function submitRule(): Promise<void> {
    const level = Number(levelInput.value);
    const cooldownMs = Math.round(Number(cooldownInput.value || '0') * 1000);
    const scope = scopeSelect.value || null;
    const metric = metricSelect.value as SeriesMetric;
    try {
      addRule.disabled = true;
      await api.call('alerts.add', {
        rule:
          kindSelect.value === 'zscore'
            ? { kind: 'zscore', metric, k: level, symbol: scope, cooldownMs }
            : { kind: 'threshold', metric, above: level, symbol: scope, cooldownMs },
      });
      show(ruleError, false);
      await loadRules();
      announce('Alert rule added');
    } catch (err) {
      show(ruleError, true);
      setText(ruleError, errorText(err));
    } finally {
      addRule.disabled = false;
    }
  }

  async function removeRule(id: number): Promise<void> {
    try {
      await api.call('alerts.remove', { id });
      await loadRules();
      announce('Alert rule removed');
    } catch (err) {
      show(ruleError, true);
      setText(ruleError, errorText(err));
    }
  }

  api.onEvent((event) => {
    if (event.event === 'series-points') onPoints(event.points);
    else if (event.event === 'alert-fired') onAlerts(event.alerts);
  });
  document.addEventListener('visibilitychange', () => {
    if (dirty) render();
  });
  // Bars change once a minute: refresh them now and then while a live window is shown.
  setInterval(() => {
    if (
      element.hidden ||
      range ||
      windowMs === null ||
      !symbol ||
      document.visibilityState !== 'visible'
    )
      return;
    void api
      .call('bars.query', { symbol, range: { lastMs: windowMs }, maxBars: 1000 })
      .then((r) => {
        setBars(r);
        render();
      })
      .catch(() => undefined);
  }, 5000);

  const now = Date.now();
  fromInput.value = datetimeLocal(now - 3_600_000);
  toInput.value = datetimeLocal(now);

  return {
    id: 'charts',
    title: 'Charts',
    element,
    onShow() {
      tzSelect.value = zone();
      void loadSymbols().catch(() => undefined);
      void loadRules().catch(() => undefined);
      if (symbol) void reload();
      else render();
    },
  };
}
