import type {
  ApproximateReason,
  MessagesTimeline,
  TimelineRange,
} from '../../contract/timeline.js';
import type { AppApi } from '../api-client.js';
import { field, h, setText, show } from '../dom.js';
import { explain } from '../errors.js';
import * as fmt from '../format.js';
import { formatTime, type Zone } from './seek.js';

/**
 * The message-volume timeline above the message list (issue 12): messages per time bucket from
 * Kafka's offsets-for-times (messages.timeline: a handful of lookups, never a scan). Dragging
 * across the bars (or arrow keys, Shift to extend, Enter) selects a time range and the list opens
 * at its first record. Drawn on a plain canvas; its text alternative and a status line say the
 * same in words.
 */

const RANGES: { label: string; range: TimelineRange }[] = [
  { label: 'Last hour', range: { kind: 'last', ms: 3_600_000 } },
  { label: 'Last day', range: { kind: 'last', ms: 86_400_000 } },
  { label: 'Whole retained range', range: { kind: 'all' } },
];
const HEIGHT = 72;

const REASONS: Record<ApproximateReason, string> = {
  'timestamps-backwards': 'timestamps go backwards',
  'transaction-markers': 'transaction markers take offsets',
  'offset-gaps': 'compaction left offset gaps',
};

/** A bucket's width in words: 1 s, 5 min, 1 h, 1 day. */
export function bucketWidth(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return unit === 'day' ? `${n} day${n === 1 ? '' : 's'}` : `${n} ${unit}`;
    }
  }
  return `${ms} ms`;
}

export interface Timeline {
  element: HTMLElement;
  /** Loads the timeline of a topic (and partitions); null hides it. */
  load(topic: string | null, partitions?: number[]): Promise<void>;
  /** Redraws its times in another zone. */
  redraw(): void;
}

export function createTimeline(
  api: AppApi,
  zone: () => Zone,
  onSelect: (from: number, to: number, count: number) => void,
): Timeline {
  let data: MessagesTimeline | null = null;
  let target: { topic: string; partitions?: number[] } | null = null;
  let selection: { a: number; b: number } | null = null; // bucket indexes, inclusive
  let cursor = -1;
  let dragging = false;
  let token = 0;

  const rangeSelect = h(
    'select',
    null,
    ...RANGES.map((r, i) => h('option', { value: String(i) }, r.label)),
  );
  const refresh = h('button', { type: 'button' }, 'Refresh timeline');
  const canvas = h('canvas', {
    class: 'timeline-canvas',
    role: 'img',
    tabindex: '0',
    height: HEIGHT,
    'aria-label': 'Message volume timeline',
    'aria-keyshortcuts': 'ArrowLeft ArrowRight Shift+ArrowLeft Shift+ArrowRight Enter',
  });
  const status = h('p', { class: 'muted timeline-status', role: 'status' });
  const element = h(
    'section',
    { class: 'timeline', 'aria-label': 'Message volume' },
    h(
      'div',
      { class: 'timeline-head' },
      field('Timeline', rangeSelect),
      h('div', { class: 'actions' }, refresh),
      h(
        'p',
        { class: 'muted timeline-hint' },
        'Drag across the bars (or arrow keys, Shift to extend, Enter) to open the list there.',
      ),
    ),
    canvas,
    status,
  );
  show(element, false);

  const bucketText = (i: number) => {
    const b = data!.buckets[i]!;
    return `${formatTime(b.start, zone())} – ${formatTime(b.end, zone())}: ${fmt.count(b.count)} message${b.count === 1 ? '' : 's'}`;
  };

  function summary(): string {
    if (!data) return '';
    if (data.buckets.length === 0) return 'No messages in this range.';
    const busiest = data.buckets.reduce((a, b) => (b.count > a.count ? b : a));
    const per = bucketWidth(data.bucketMs);
    const reasons = [
      ...new Set(data.partitions.flatMap((p) => p.approximate.map((r) => REASONS[r]))),
    ];
    return [
      `${fmt.count(data.total)} messages from ${formatTime(data.from, zone())} to ${formatTime(data.to, zone())}, per ${per}`,
      `busiest ${formatTime(busiest.start, zone())} (${fmt.count(busiest.count)})`,
      data.approximate ? `approximate: ${reasons.join(', ')}` : '',
      `${data.requests.offsetLookups + data.requests.fetches} requests, ${Math.round(data.elapsedMs)} ms`,
    ]
      .filter(Boolean)
      .join(' · ');
  }

  function draw() {
    const width = Math.max(200, canvas.clientWidth || 600);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(HEIGHT * ratio);
    const ctx = canvas.getContext('2d');
    if (!ctx || !data) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, HEIGHT);
    const css = getComputedStyle(canvas);
    const bar = css.getPropertyValue('--primary').trim() || '#2563eb';
    const pick = css.getPropertyValue('--warn').trim() || '#d97706';
    const n = data.buckets.length;
    if (n === 0) return;
    const max = Math.max(1, ...data.buckets.map((b) => b.count));
    const w = width / n;
    const lo = selection ? Math.min(selection.a, selection.b) : -1;
    const hi = selection ? Math.max(selection.a, selection.b) : -2;
    for (let i = 0; i < n; i++) {
      const c = data.buckets[i]!.count;
      const bh = c === 0 ? 0 : Math.max(2, ((HEIGHT - 4) * c) / max);
      ctx.fillStyle = i >= lo && i <= hi ? pick : bar;
      ctx.fillRect(i * w + (w > 4 ? 1 : 0), HEIGHT - bh, Math.max(1, w - (w > 4 ? 2 : 0)), bh);
    }
    if (cursor >= 0 && cursor < n) {
      ctx.strokeStyle = pick;
      ctx.lineWidth = 2;
      ctx.strokeRect(cursor * w + 1, 1, Math.max(2, w - 2), HEIGHT - 2);
    }
    canvas.setAttribute('aria-label', `Message volume timeline. ${summary()}`);
  }

  function indexAt(clientX: number): number {
    if (!data || data.buckets.length === 0) return -1;
    const rect = canvas.getBoundingClientRect();
    const x = Math.min(Math.max(clientX - rect.left, 0), rect.width - 0.01);
    return Math.floor((x / rect.width) * data.buckets.length);
  }

  function describeSelection() {
    if (!data || !selection) return;
    const lo = Math.min(selection.a, selection.b);
    const hi = Math.max(selection.a, selection.b);
    const count = data.buckets.slice(lo, hi + 1).reduce((s, b) => s + b.count, 0);
    setText(
      status,
      `Selected ${formatTime(data.buckets[lo]!.start, zone())} – ${formatTime(data.buckets[hi]!.end, zone())}: ${fmt.count(count)} messages`,
    );
  }

  function choose() {
    if (!data || !selection) return;
    const lo = Math.min(selection.a, selection.b);
    const hi = Math.max(selection.a, selection.b);
    const count = data.buckets.slice(lo, hi + 1).reduce((s, b) => s + b.count, 0);
    describeSelection();
    onSelect(data.buckets[lo]!.start, data.buckets[hi]!.end, count);
  }

  canvas.addEventListener('pointerdown', (e) => {
    const i = indexAt(e.clientX);
    if (i < 0) return;
    dragging = true;
    canvas.setPointerCapture(e.pointerId);
    selection = { a: i, b: i };
    cursor = i;
    draw();
    describeSelection();
  });
  canvas.addEventListener('pointermove', (e) => {
    const i = indexAt(e.clientX);
    if (i < 0) return;
    if (dragging && selection) {
      selection.b = i;
      cursor = i;
      draw();
      describeSelection();
    } else if (!selection) {
      setText(status, bucketText(i));
    }
  });
  canvas.addEventListener('pointerup', () => {
    if (!dragging) return;
    dragging = false;
    choose();
  });
  canvas.addEventListener('pointerleave', () => {
    if (!dragging && !selection) setText(status, summary());
  });
  canvas.addEventListener('keydown', (e) => {
    if (!data || data.buckets.length === 0) return;
    const n = data.buckets.length;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      const next = Math.min(
        n - 1,
        Math.max(0, (cursor < 0 ? n : cursor) + (e.key === 'ArrowLeft' ? -1 : 1)),
      );
      if (e.shiftKey && selection) selection.b = next;
      else selection = { a: next, b: next };
      cursor = next;
      draw();
      describeSelection();
    } else if (e.key === 'Enter' && selection) {
      e.preventDefault();
      choose();
    } else if (e.key === 'Escape') {
      selection = null;
      cursor = -1;
      draw();
      setText(status, summary());
    }
  });

  async function load(topic: string | null, partitions?: number[]) {
    target = topic === null ? null : { topic, ...(partitions ? { partitions } : {}) };
    selection = null;
    cursor = -1;
    show(element, topic !== null);
    if (topic === null) return;
    const mine = ++token;
    setText(status, 'Counting messages per time bucket…');
    try {
      const result = await api.call('messages.timeline', {
        topic,
        ...(partitions ? { partitions } : {}),
        range: RANGES[Number(rangeSelect.value)]?.range ?? RANGES[0]!.range,
        buckets: 60,
      });
      if (mine !== token) return;
      data = result;
      draw();
      setText(status, summary());
    } catch (err) {
      if (mine !== token) return;
      data = null;
      draw();
      const e = explain(err);
      setText(status, `The timeline could not be read: ${e.message}`);
    }
  }

  const reload = () => {
    if (target) void load(target.topic, target.partitions);
  };
  rangeSelect.addEventListener('change', reload);
  refresh.addEventListener('click', reload);
  window.addEventListener('resize', () => {
    if (data && !element.hidden) draw();
  });

  return {
    element,
    load,
    redraw() {
      if (!data) return;
      draw();
      if (selection) describeSelection();
      else setText(status, summary());
    },
  };
}
