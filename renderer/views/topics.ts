import type { TopicInfo } from '../../contract/admin.js';
import {
  formatFilter,
  parseFilterExpression,
  type MessageFilter,
  type MessageRecord,
  type MessagesPage,
  type Start,
  type TailEvent,
} from '../../contract/messages.js';
import type { SavedView } from '../../contract/saved-views.js';
import { TOPICS } from '../../contract/trade.js';
import type { AppApi } from '../api-client.js';
import { field, h, replace, setText, show, uid } from '../dom.js';
import { explain } from '../errors.js';
import * as fmt from '../format.js';
import type { Store } from '../store.js';
import type { Screen } from './frame.js';
import { formatTime, parseSeek, type Zone } from './seek.js';
import { createMessageColumns } from './msg-columns.js';
import { createSavedViewsPanel } from './saved-views-panel.js';
import { createStoredDeadLetters } from './stored-dead-letters.js';
import { createTimeline } from './timeline.js';

/**
 * Topics: the topic list (partitions, messages, watermarks; internal topics hidden) and the
 * selected topic's messages, newest first: seek by offset or date-time, a partition picker, a
 * filter, pages older/newer (PageDown/PageUp), a Live tail with pause, a UTC/local switch
 * (remembered), a detail panel (pretty JSON, headers, hex, copy, save), dead letters with their
 * reason and Republish, and a form to produce a message. The list is virtualised (only the rows
 * in view are in the DOM) and holds at most MAX_ROWS records, so hours of live tail stay flat.
 * JSON fields of the values can be shown as sortable columns (msg-columns.ts); a message-volume
 * timeline above the list opens it at a time range dragged across it (timeline.ts); saved views
 * keep all of it under a name (saved-views-panel.ts).
 */

const MAX_ROWS = 2000;
const ROW_HEIGHT = 30;
const OVERSCAN = 8;
const TZ_KEY = 'vi.topics.timeZone';
const HEX_BYTES = 4096;

function recordKey(r: MessageRecord): string {
  return `${r.partition}/${r.offset}`;
}

function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = Array.from(bytes.subarray(i, i + 16));
    const hexPart = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${hexPart.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

export function createTopics(api: AppApi, store: Store, announce: (t: string) => void): Screen {
  let zone: Zone = localStorage.getItem(TZ_KEY) === 'local' ? 'local' : 'utc';
  let topics: TopicInfo[] = [];
  let topic: string | null = null;
  let rows: MessageRecord[] = []; // newest first
  let page: MessagesPage | null = null;
  let lastStart: Start = { kind: 'newest' };
  let filter: MessageFilter | undefined;
  let selected: MessageRecord | null = null;
  const checked = new Set<string>();
  let tail: { id: string; state: 'live' | 'paused'; seenUpTo: Map<number, number> } | null = null;
  let arrivedTotal = 0;
  let busy = 0;

  // ---- topic list ------------------------------------------------------------------------
  const topicFilter = h('input', {
    type: 'search',
    placeholder: 'e.g. stock',
    autocomplete: 'off',
  });
  const showInternal = h('input', { type: 'checkbox' });
  const refreshButton = h('button', { type: 'button' }, 'Refresh topics');
  const topicList = h('ul', { class: 'topic-list', 'aria-label': 'Topics' });
  const topicStatus = h('p', { class: 'muted', role: 'status' });

  // ---- toolbar -----------------------------------------------------------------------------
  const title = h('h2', { class: 'topic-title' }, 'Pick a topic');
  const seek = h('input', {
    type: 'text',
    placeholder: 'offset or 2026-01-05 14:30',
    autocomplete: 'off',
  });
  const seekButton = h('button', { type: 'button' }, 'Seek');
  const newestButton = h('button', { type: 'button' }, 'Newest');
  const oldestButton = h('button', { type: 'button' }, 'Oldest');
  const partition = h('select', null, h('option', { value: '' }, 'All partitions'));
  const filterInput = h('input', {
    type: 'text',
    placeholder: 'symbol = AAPL and price > 300',
    autocomplete: 'off',
  });
  const filterButton = h('button', { type: 'button' }, 'Apply filter');
  const liveButton = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Live');
  const pauseButton = h(
    'button',
    { type: 'button', 'aria-pressed': 'false', disabled: true },
    'Pause',
  );
  const liveState = h('span', { class: 'live-state', role: 'status', 'aria-live': 'polite' });
  const zoneSelect = h(
    'select',
    null,
    h('option', { value: 'utc' }, 'UTC'),
    h('option', { value: 'local' }, 'Local time'),
  );
  zoneSelect.value = zone;
  const olderButton = h(
    'button',
    { type: 'button', 'aria-keyshortcuts': 'PageDown' },
    'Older page',
  );
  const newerButton = h('button', { type: 'button', 'aria-keyshortcuts': 'PageUp' }, 'Newer page');
  const continueButton = h('button', { type: 'button', hidden: true }, 'Continue scanning');
  const pageStatus = h('p', { class: 'muted page-status', role: 'status' });
  const errorLine = h('p', { class: 'error-line', role: 'alert', hidden: true });
  const republishButton = h('button', { type: 'button', hidden: true }, 'Republish selected');
  const timeline = createTimeline(
    api,
    () => zone,
    (from, to, count) => void openRange(from, to, count),
  );
  const savedViews = createSavedViewsPanel(api, {
    current: () =>
      topic === null
        ? null
        : {
            topic,
            ...(chosenPartitions() ? { partitions: chosenPartitions()! } : {}),
            start: lastStart,
            ...(filter ? { filter: formatFilter(filter) } : {}),
            columns: [...cols.columns()],
            timeZone: zone,
          },
    open: (view) => openView(view),
    announce,
  });
  const cols = createMessageColumns(
    () => {
      renderRows();
      renderPageStatus();
    },
    (err) => fail(err),
  );

  // ---- dead letters from the topic or the database (the whole original value) -------------
  const storedDead = createStoredDeadLetters(api, announce);
  show(storedDead.element, false);
  const deadSourceName = uid('dl-source');
  const deadSourceLegend = h('legend', { id: uid('dl-source-legend') }, 'Source');
  const deadFromTopic = h('input', {
    type: 'radio',
    name: deadSourceName,
    id: uid('dl-src'),
    checked: true,
  });
  const deadFromDb = h('input', { type: 'radio', name: deadSourceName, id: uid('dl-src') });
  const deadSource = h(
    'fieldset',
    {
      class: 'radios horizontal',
      role: 'radiogroup',
      'aria-labelledby': deadSourceLegend.id,
      hidden: true,
    },
    deadSourceLegend,
    h(
      'div',
      { class: 'field inline' },
      deadFromTopic,
      h('label', { for: deadFromTopic.id }, 'Topic'),
    ),
    h('div', { class: 'field inline' }, deadFromDb, h('label', { for: deadFromDb.id }, 'Database')),
  );
  const topicPart = h('div', { class: 'topic-part' });
  const showDeadSource = () => {
    const fromDb = !deadSource.hidden && deadFromDb.checked;
    show(topicPart, !fromDb);
    show(storedDead.element, fromDb);
    if (fromDb) void storedDead.load();
  };
  deadFromTopic.addEventListener('change', showDeadSource);
  deadFromDb.addEventListener('change', showDeadSource);

  // ---- the virtualised message list ----------------------------------------------------------
  const spacer = h('div', { class: 'msg-spacer' });
  const list = h('ul', { class: 'msg-rows', 'aria-label': 'Messages' });
  const viewport = h(
    'div',
    { class: 'msg-viewport', tabindex: '0', 'aria-label': 'Messages, newest first' },
    spacer,
    list,
  );
  const emptyState = h(
    'p',
    { class: 'muted msg-empty' },
    'Pick a topic on the left to read its messages.',
  );

  // ---- detail panel ------------------------------------------------------------------------
  const detailTitle = h('h3', null, 'Message');
  const detailMeta = h('dl', { class: 'detail-meta' });
  const detailDead = h('div', { class: 'detail-dead', hidden: true });
  const detailValue = h('pre', { class: 'detail-value', tabindex: '0', 'aria-label': 'Value' });
  const detailHeaders = h('ul', { class: 'detail-headers', 'aria-label': 'Headers' });
  const detailHex = h('pre', {
    class: 'detail-hex',
    tabindex: '0',
    'aria-label': 'Raw bytes (hex)',
  });
  const copyButton = h('button', { type: 'button' }, 'Copy value');
  const saveButton = h('button', { type: 'button' }, 'Save value');
  const closeDetail = h('button', { type: 'button' }, 'Close details');
  const detailNote = h('p', { class: 'muted', role: 'status' });
  const editArea = h('textarea', { rows: 6, spellcheck: 'false' });
  const republishOne = h('button', { type: 'button' }, 'Republish');
  const republishEdited = h('button', { type: 'button' }, 'Republish edited');
  const deadActions = h(
    'div',
    { class: 'dead-actions', hidden: true },
    h('div', { class: 'actions' }, republishOne),
    field('Edited value', editArea, 'sent instead of the original bytes'),
    h('div', { class: 'actions' }, republishEdited),
  );
  const detail = h(
    'aside',
    { class: 'msg-detail', 'aria-label': 'Message details', hidden: true },
    h('div', { class: 'detail-head' }, detailTitle, closeDetail),
    detailMeta,
    detailDead,
    deadActions,
    h('h4', null, 'Value'),
    h('div', { class: 'actions' }, copyButton, saveButton),
    detailValue,
    h('h4', null, 'Headers'),
    detailHeaders,
    h('h4', null, 'Raw bytes (hex)'),
    detailHex,
    detailNote,
  );

  // ---- produce form ------------------------------------------------------------------------
  const pKey = h('input', { type: 'text', autocomplete: 'off' });
  const pValue = h('textarea', { rows: 4, spellcheck: 'false' });
  const pHeaders = h('textarea', { rows: 2, spellcheck: 'false', placeholder: 'name: value' });
  const pPartition = h('input', { type: 'number', min: '0', placeholder: 'by key' });
  const pButton = h('button', { type: 'submit' }, 'Produce message');
  const pStatus = h('p', { class: 'muted', role: 'status' });
  const produceForm = h(
    'form',
    { class: 'produce-form', 'aria-label': 'Produce a message' },
    field('Key', pKey),
    field('Value', pValue),
    field('Headers', pHeaders, 'one per line: name: value'),
    field('Partition', pPartition, 'empty: chosen by key'),
    h('div', { class: 'actions' }, pButton),
    pStatus,
  );

  const element = h(
    'div',
    { class: 'screen topics-screen', 'aria-labelledby': 'topics-title' },
    h('h1', { id: 'topics-title', class: 'screen-title' }, 'Topics'),
    h(
      'div',
      { class: 'topics-layout' },
      h(
        'section',
        { class: 'topics-side', 'aria-label': 'Topic list' },
        field('Filter topics', topicFilter),
        field('Show internal topics', showInternal),
        h('div', { class: 'actions' }, refreshButton),
        topicStatus,
        topicList,
        savedViews.element,
      ),
      h(
        'section',
        { class: 'topics-main', 'aria-label': 'Messages of the topic' },
        title,
        deadSource,
        storedDead.element,
        h(
          'div',
          { class: 'msg-toolbar' },
          field('Seek to', seek, 'an offset, or a date-time in the chosen zone'),
          h('div', { class: 'actions' }, seekButton, newestButton, oldestButton),
          field('Partition', partition),
          field(
            'Filter messages',
            filterInput,
            'symbol = AAPL, price > 300, key = K, key ~ K, or text',
          ),
          h('div', { class: 'actions' }, filterButton),
          cols.controls,
          field('Time zone', zoneSelect),
          h('div', { class: 'actions' }, liveButton, pauseButton, liveState),
        ),
        topicPart,
        h('details', { class: 'produce' }, h('summary', null, 'Produce a message'), produceForm),
      ),
    ),
  );

  // The topic's own view (hidden while the stored dead letters are shown).
  const toolbar = element.querySelector('.topics-main > .msg-toolbar');
  topicPart.append(
    ...(toolbar ? [toolbar] : []),
    timeline.element,
    errorLine,
    h('div', { class: 'actions' }, newerButton, olderButton, continueButton, republishButton),
    pageStatus,
    h(
      'div',
      { class: 'msg-area' },
      emptyState,
      h('div', { class: 'msg-list' }, cols.header, viewport),
      detail,
    ),
  );

  // ---- helpers -------------------------------------------------------------------------------
  const fail = (err: unknown) => {
    const e = explain(err);
    setText(errorLine, `${e.title}: ${e.message}`);
    show(errorLine, true);
  };
  const clearError = () => show(errorLine, false);
  const working = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    busy++;
    element.setAttribute('aria-busy', 'true');
    try {
      clearError();
      return await work();
    } catch (err) {
      fail(err);
      return undefined;
    } finally {
      if (--busy === 0) element.removeAttribute('aria-busy');
    }
  };
  const chosenPartitions = (): number[] | undefined =>
    partition.value === '' ? undefined : partition.value.split(',').map(Number);

  // ---- topics ------------------------------------------------------------------------------
  async function loadTopics() {
    setText(topicStatus, 'Loading topics…');
    const result = await working(() =>
      api.call('topics.list', { includeInternal: showInternal.checked }),
    );
    if (!result) {
      setText(topicStatus, 'Topics could not be listed: is the broker running?');
      return;
    }
    topics = result;
    renderTopics();
  }

  function renderTopics() {
    const q = topicFilter.value.trim().toLowerCase();
    const shown = topics.filter((t) => !q || t.name.toLowerCase().includes(q));
    setText(
      topicStatus,
      topics.length === 0
        ? 'No topics yet: start the producer on Controls.'
        : `${shown.length} of ${topics.length} topics`,
    );
    replace(
      topicList,
      ...shown.map((t) => {
        const marks = t.partitions
          .map((p) => `p${p.partition} ${fmt.count(p.low)}–${fmt.count(p.high)}`)
          .join(', ');
        const button = h(
          'button',
          {
            type: 'button',
            class: 'topic-item',
            'aria-current': t.name === topic ? 'true' : undefined,
            'aria-label': `${t.name}: ${t.partitionCount} partition${t.partitionCount === 1 ? '' : 's'}, ${fmt.count(t.messages)} messages`,
            on: { click: () => void openTopic(t.name) },
          },
          h('span', { class: 'topic-name' }, t.name),
          h(
            'span',
            { class: 'muted num' },
            `${t.partitionCount} partition${t.partitionCount === 1 ? '' : 's'} · ${fmt.count(t.messages)} messages`,
          ),
          h('span', { class: 'muted watermarks' }, marks),
        );
        return h('li', null, button);
      }),
    );
  }

  async function openTopic(name: string, view?: SavedView) {
    await stopTail();
    topic = name;
    setText(title, name);
    show(deadSource, name === TOPICS.deadLetters || name.endsWith('_dlq'));
    deadFromTopic.checked = true;
    showDeadSource();
    const info = topics.find((t) => t.name === name);
    replace(
      partition,
      h('option', { value: '' }, 'All partitions'),
      ...(info?.partitions ?? []).map((p) =>
        h('option', { value: String(p.partition) }, `Partition ${p.partition}`),
      ),
    );
    if (view?.partitions) {
      const value = view.partitions.join(',');
      if (view.partitions.length > 1) {
        partition.append(h('option', { value }, `Partitions ${view.partitions.join(', ')}`));
      }
      partition.value = value;
    }
    checked.clear();
    closeDetails();
    renderTopics();
    void savedViews.refresh(name);
    void timeline.load(name, chosenPartitions());
    await read({ from: view?.start ?? { kind: 'newest' } });
  }

  /** Opens a saved view: its topic must still exist; then everything it holds is applied. */
  async function openView(view: SavedView) {
    await loadTopics();
    if (!topics.some((t) => t.name === view.topic)) {
      fail(
        new Error(
          `Saved view "${view.name}" reads topic "${view.topic}", which does not exist on this broker: recreate the topic or delete the view.`,
        ),
      );
      return;
    }
    zone = view.timeZone;
    zoneSelect.value = zone;
    localStorage.setItem(TZ_KEY, zone);
    filterInput.value = view.filter ?? '';
    filter = view.filter ? parseFilterExpression(view.filter) : undefined;
    cols.setColumns(view.columns);
    seek.value =
      view.start.kind === 'offset'
        ? String(view.start.offset)
        : view.start.kind === 'timestamp'
          ? formatTime(view.start.ts, zone)
          : '';
    await openTopic(view.topic, view);
    announce(`Opened view ${view.name}`);
  }

  /** A range chosen on the timeline: the list from its first record, that record selected. */
  async function openRange(from: number, to: number, count: number) {
    if (tail) await stopTail();
    seek.value = formatTime(from, zone);
    await read({ from: { kind: 'timestamp', ts: from } });
    const first = page?.records[0];
    if (!page || !first || first.timestamp >= to) {
      setText(pageStatus, `No messages from ${formatTime(from, zone)} to ${formatTime(to, zone)}.`);
      return;
    }
    viewport.scrollTop = Math.max(0, (rows.length - 1) * ROW_HEIGHT - viewport.clientHeight / 2);
    void openDetails(first);
    announce(`Opened the list at ${formatTime(first.timestamp, zone)}: ${count} messages selected`);
  }

  // ---- reading ---------------------------------------------------------------------------
  let readToken = 0;
  async function read(how: { from: Start } | { cursor: string }) {
    if (!topic) return;
    const name = topic;
    if ('from' in how) lastStart = how.from;
    const token = ++readToken;
    setText(pageStatus, 'Reading…');
    const result = await working(() =>
      api.call('messages.read', {
        topic: name,
        ...('cursor' in how ? { cursor: how.cursor } : { from: how.from }),
        ...(chosenPartitions() ? { partitions: chosenPartitions()! } : {}),
        ...(filter ? { filter } : {}),
        limit: 100,
      }),
    );
    if (token !== readToken) return; // a later read wins
    if (!result || topic !== name) {
      if (!result) setText(pageStatus, '');
      return;
    }
    page = result;
    rows = [...result.records].reverse();
    viewport.scrollTop = 0;
    cols.offerFields(rows);
    renderRows();
    renderPageStatus();
  }

  function renderPageStatus() {
    if (!page) return;
    const p = page;
    const parts = [
      p.records.length === 0 ? 'No messages here' : `${fmt.count(p.records.length)} messages`,
      filter ? `matching ${formatFilter(filter)} (${fmt.count(p.scanned)} scanned)` : '',
      `${Math.round(p.elapsedMs)} ms`,
      cols.sortNote(rows.length),
    ].filter(Boolean);
    if (p.budgetExhausted)
      parts.push(`stopped after scanning ${fmt.count(p.scanned)}: continue to scan further`);
    setText(pageStatus, parts.join(' · '));
    show(continueButton, p.budgetExhausted);
    olderButton.disabled = tail !== null || p.older === null;
    newerButton.disabled =
      tail !== null || (!p.hasNewer && p.direction === 'newer' && p.records.length === 0);
  }

  // ---- virtual rows ----------------------------------------------------------------------
  let renderQueued = false;
  function renderRows() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      drawRows();
    });
  }

  function rowLabel(r: MessageRecord): string {
    const d = r.deadLetter;
    const value = d
      ? `${d.reason} · ${fmt.bytes(d.original?.bytes ?? 0)}: ${oneLine(d.original?.text ?? 'null', 80)}`
      : r.value
        ? oneLine(r.value.encoding === 'binary' ? `hex ${r.value.text}` : r.value.text)
        : 'null';
    return `${formatTime(r.timestamp, zone)}  p${r.partition}/${r.offset}  ${r.key ? oneLine(r.key.text, 40) : '—'}  ${value}`;
  }

  function columnCells(r: MessageRecord): HTMLElement[] {
    const value = r.value
      ? oneLine(r.value.encoding === 'binary' ? `hex ${r.value.text}` : r.value.text, 120)
      : 'null';
    return [
      h(
        'span',
        { class: 'cell-meta' },
        `${formatTime(r.timestamp, zone)}  p${r.partition}/${r.offset}  ${r.key ? oneLine(r.key.text, 24) : '—'}`,
      ),
      ...cols
        .cells(r)
        .map((c) =>
          h('span', { class: c.num !== null ? 'cell num' : 'cell', title: c.text }, c.text),
        ),
      h('span', { class: 'cell-value muted' }, value),
    ];
  }

  function drawRows() {
    show(emptyState, topic === null || rows.length === 0);
    show(viewport, topic !== null);
    if (topic !== null && rows.length === 0)
      setText(emptyState, tail ? 'Waiting for new messages…' : 'No messages.');
    spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.ceil((viewport.clientHeight || 600) / ROW_HEIGHT) + OVERSCAN * 2;
    const ordered = cols.order(rows);
    const slice = ordered.slice(first, first + count);
    const columns = cols.columns();
    const grid = columns.length > 0 ? cols.gridTemplate() : '';
    list.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const isDlq = rows.some((r) => r.deadLetter);
    replace(
      list,
      ...slice.map((r, i) => {
        const key = recordKey(r);
        const button = h(
          'button',
          {
            type: 'button',
            class: `msg-row${r.deadLetter ? ' dead' : ''}${grid ? ' with-columns' : ''}`,
            'aria-pressed': selected && recordKey(selected) === key ? 'true' : 'false',
            on: { click: () => openDetails(r) },
          },
          ...(grid ? columnCells(r) : [rowLabel(r)]),
        );
        if (grid) button.style.gridTemplateColumns = grid;
        const box = isDlq
          ? h('input', {
              type: 'checkbox',
              'aria-label': `Select dead letter ${key}`,
              checked: checked.has(key),
              disabled: !r.deadLetter,
              on: {
                change: (e) => {
                  if ((e.target as HTMLInputElement).checked) checked.add(key);
                  else checked.delete(key);
                  renderRepublish();
                },
              },
            })
          : null;
        return h(
          'li',
          { class: 'msg-item', 'aria-setsize': rows.length, 'aria-posinset': first + i + 1 },
          box,
          button,
        );
      }),
    );
    renderRepublish();
  }

  function renderRepublish() {
    show(republishButton, checked.size > 0);
    setText(republishButton, `Republish selected (${checked.size})`);
  }

  // ---- details ---------------------------------------------------------------------------
  let detailToken = 0;
  async function openDetails(r: MessageRecord) {
    selected = r;
    renderRows();
    show(detail, true);
    setText(detailTitle, `Partition ${r.partition} · offset ${fmt.count(r.offset)}`);
    const meta: [string, string][] = [
      [
        'Time',
        `${formatTime(r.timestamp, zone)} (${r.timestampType === 'create' ? 'create time' : 'log append time'})`,
      ],
      ['Key', r.key ? r.key.text : 'null'],
      ['Size', fmt.bytes(r.size)],
      [
        'Value',
        r.value
          ? `${r.value.encoding}, ${fmt.bytes(r.value.bytes)}${r.value.truncated ? ' (shown in part)' : ''}`
          : 'null',
      ],
    ];
    replace(detailMeta, ...meta.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    const d = r.deadLetter;
    show(detailDead, !!d);
    show(deadActions, !!d);
    if (d) {
      replace(
        detailDead,
        h('p', { class: 'dead-reason' }, `Reason: ${d.reason}`),
        h(
          'p',
          null,
          `From ${d.sourceTopic} partition ${d.sourcePartition} offset ${d.sourceOffset}, received ${d.receivedAt}`,
        ),
        h('p', null, `Original (${fmt.bytes(d.original?.bytes ?? 0)}):`),
        h('pre', { class: 'detail-value' }, d.original?.text ?? 'null'),
      );
      editArea.value = d.original?.encoding === 'binary' ? '' : (d.original?.text ?? '');
    }
    setText(detailValue, r.value ? r.value.text : 'null');
    replace(
      detailHeaders,
      ...(r.headers.length === 0
        ? [h('li', { class: 'muted' }, 'No headers')]
        : r.headers.map((x) => h('li', null, `${x.key}: ${x.value ? x.value.text : 'null'}`))),
    );
    setText(detailHex, 'Loading…');
    setText(detailNote, '');
    const token = ++detailToken;
    const full = await working(() =>
      api.call('messages.value', { topic: topic!, partition: r.partition, offset: r.offset }),
    );
    if (token !== detailToken) return;
    fullValue = full ?? null;
    setText(
      detailHex,
      full?.base64
        ? hexDump(base64ToBytes(full.base64).subarray(0, HEX_BYTES))
        : full
          ? '(null value)'
          : '—',
    );
    if (full && full.bytes > HEX_BYTES)
      setText(
        detailNote,
        `Hex shows the first ${fmt.bytes(HEX_BYTES)} of ${fmt.bytes(full.bytes)}.`,
      );
  }
  let fullValue: { base64: string | null; bytes: number; truncated: boolean } | null = null;

  function closeDetails() {
    selected = null;
    fullValue = null;
    show(detail, false);
    renderRows();
  }

  async function fullText(): Promise<Uint8Array | null> {
    if (!fullValue?.base64) return null;
    return base64ToBytes(fullValue.base64);
  }

  copyButton.addEventListener('click', () => {
    void (async () => {
      const bytes = await fullText();
      const text = bytes ? new TextDecoder().decode(bytes) : (selected?.value?.text ?? '');
      const pretty =
        selected?.value?.encoding === 'json' && !selected.value.truncated
          ? selected.value.text
          : text;
      try {
        await navigator.clipboard.writeText(pretty);
        setText(detailNote, 'Value copied.');
      } catch {
        setText(detailNote, 'The clipboard is not available here: use Save value.');
      }
    })();
  });
  saveButton.addEventListener('click', () => {
    void (async () => {
      const bytes = await fullText();
      if (!bytes || !selected) return;
      const blob = new Blob([bytes as BlobPart], { type: 'application/octet-stream' });
      const url = URL.createObjectURL(blob);
      const a = h('a', {
        href: url,
        download: `${topic}-${selected.partition}-${selected.offset}.bin`,
      });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setText(
        detailNote,
        fullValue?.truncated ? `Saved the first ${fmt.bytes(bytes.length)}.` : 'Saved.',
      );
    })();
  });
  closeDetail.addEventListener('click', closeDetails);

  async function republish(items: { partition: number; offset: number; value?: string }[]) {
    if (!topic) return;
    const name = topic;
    const result = await working(() => api.call('dead-letters.republish', { topic: name, items }));
    if (!result) return;
    const text = result.republished
      .map((r) => `${r.from} → ${r.topic}/${r.partition}/${r.offset}${r.edited ? ' (edited)' : ''}`)
      .join('; ');
    setText(detailNote, `Republished: ${text}`);
    setText(pageStatus, `Republished ${result.republished.length}: ${text}`);
    announce(
      `Republished ${result.republished.length} dead letter${result.republished.length === 1 ? '' : 's'}`,
    );
  }
  republishOne.addEventListener('click', () => {
    if (selected) void republish([{ partition: selected.partition, offset: selected.offset }]);
  });
  republishEdited.addEventListener('click', () => {
    if (selected)
      void republish([
        { partition: selected.partition, offset: selected.offset, value: editArea.value },
      ]);
  });
  republishButton.addEventListener('click', () => {
    const items = [...checked].map((k) => {
      const [p, o] = k.split('/').map(Number);
      return { partition: p!, offset: o! };
    });
    void republish(items).then(() => {
      checked.clear();
      renderRows();
    });
  });

  // ---- live tail ---------------------------------------------------------------------------
  function onTail(e: TailEvent) {
    if (!tail || e.tailId !== tail.id) return;
    if (e.state === 'stopped') {
      tail = null;
      renderLive();
      if (e.error) fail(new Error(e.error.message));
      return;
    }
    const fresh = e.records.filter((r) => r.offset >= (tail!.seenUpTo.get(r.partition) ?? 0));
    arrivedTotal += e.arrived;
    if (fresh.length > 0) {
      const keepScroll = viewport.scrollTop > 0;
      rows = [...fresh.reverse(), ...rows].slice(0, MAX_ROWS);
      if (keepScroll) viewport.scrollTop += fresh.length * ROW_HEIGHT;
      renderRows();
    }
    if (e.state === 'paused') {
      setText(liveState, `Paused — ${fmt.count(e.pending)} arrived while paused`);
    } else {
      const unseen = e.arrived - e.records.length;
      setText(
        liveState,
        `Live — ${fmt.count(arrivedTotal)} arrived${unseen > 0 ? ` (${fmt.count(unseen)} faster than shown)` : ''}`,
      );
    }
  }
  api.onEvent((e) => {
    if (e.event === 'messages-tail') onTail(e);
  });

  function renderLive() {
    liveButton.setAttribute('aria-pressed', tail ? 'true' : 'false');
    pauseButton.disabled = tail === null;
    pauseButton.setAttribute('aria-pressed', tail?.state === 'paused' ? 'true' : 'false');
    setText(pauseButton, tail?.state === 'paused' ? 'Resume' : 'Pause');
    element.classList.toggle('is-paused', tail?.state === 'paused');
    if (!tail) setText(liveState, '');
    renderPageStatus();
  }

  async function startTail() {
    if (!topic) return;
    const name = topic;
    arrivedTotal = 0;
    const started = await working(() =>
      api.call('messages.tail.start', {
        topic: name,
        ...(chosenPartitions() ? { partitions: chosenPartitions()! } : {}),
        ...(filter ? { filter } : {}),
      }),
    );
    if (!started) return;
    tail = { id: started.tailId, state: 'live', seenUpTo: new Map() };
    renderLive();
    setText(liveState, 'Live — waiting for new messages');
    await read({ from: { kind: 'newest' } });
    if (tail && page) tail.seenUpTo = new Map(page.partitions.map((p) => [p.partition, p.high]));
    renderLive();
    announce('Live tail on');
  }

  async function stopTail() {
    if (!tail) return;
    const id = tail.id;
    tail = null;
    renderLive();
    await api.call('messages.tail.control', { tailId: id, action: 'stop' }).catch(() => undefined);
  }

  liveButton.addEventListener('click', () => {
    if (tail) void stopTail().then(() => announce('Live tail off'));
    else void startTail();
  });
  pauseButton.addEventListener('click', () => {
    if (!tail) return;
    const action = tail.state === 'paused' ? 'resume' : 'pause';
    tail.state = action === 'pause' ? 'paused' : 'live';
    renderLive();
    if (action === 'pause') setText(liveState, 'Paused — 0 arrived while paused');
    void working(() => api.call('messages.tail.control', { tailId: tail!.id, action }));
    announce(action === 'pause' ? 'Live tail paused' : 'Live tail resumed');
  });

  // ---- controls ----------------------------------------------------------------------------
  const restart = async (from: Start) => {
    if (tail) {
      await stopTail();
      await startTail();
    } else await read({ from });
  };
  seekButton.addEventListener('click', () => {
    const start = parseSeek(seek.value, zone);
    if (!start) {
      fail(new Error('Seek needs an offset (e.g. 1200) or a date-time (e.g. 2026-01-05 14:30)'));
      return;
    }
    if (tail) void stopTail();
    void read({ from: start });
  });
  seek.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') seekButton.click();
  });
  newestButton.addEventListener('click', () => void restart({ kind: 'newest' }));
  oldestButton.addEventListener('click', () => {
    if (tail) void stopTail();
    void read({ from: { kind: 'oldest' } });
  });
  partition.addEventListener('change', () => {
    void timeline.load(topic, chosenPartitions());
    void restart(lastStart);
  });
  const applyFilter = () => {
    try {
      const text = filterInput.value.trim();
      filter = text === '' ? undefined : parseFilterExpression(text);
    } catch (err) {
      fail(err);
      return;
    }
    void restart(lastStart);
  };
  filterButton.addEventListener('click', applyFilter);
  filterInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') applyFilter();
  });
  zoneSelect.addEventListener('change', () => {
    zone = zoneSelect.value === 'local' ? 'local' : 'utc';
    localStorage.setItem(TZ_KEY, zone);
    renderRows();
    timeline.redraw();
    if (selected) void openDetails(selected);
  });
  olderButton.addEventListener('click', () => {
    if (page?.older) void read({ cursor: page.older });
  });
  newerButton.addEventListener('click', () => {
    if (page) void read({ cursor: page.newer });
  });
  continueButton.addEventListener('click', () => {
    if (!page) return;
    const cursor = page.direction === 'older' ? page.older : page.newer;
    if (cursor) void read({ cursor });
  });
  viewport.addEventListener('scroll', renderRows, { passive: true });
  viewport.addEventListener('keydown', (e) => {
    if (e.key === 'PageDown' && !olderButton.disabled) {
      e.preventDefault();
      olderButton.click();
    } else if (e.key === 'PageUp' && !newerButton.disabled) {
      e.preventDefault();
      newerButton.click();
    }
  });
  topicFilter.addEventListener('input', renderTopics);
  showInternal.addEventListener('change', () => void loadTopics());
  refreshButton.addEventListener('click', () => void loadTopics());

  produceForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!topic) {
      setText(pStatus, 'Pick a topic first.');
      return;
    }
    const headers = pHeaders.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const at = l.indexOf(':');
        return at < 0
          ? { key: l, value: '' }
          : { key: l.slice(0, at).trim(), value: l.slice(at + 1).trim() };
      });
    const name = topic;
    void working(() =>
      api.call('messages.produce', {
        topic: name,
        key: pKey.value === '' ? null : pKey.value,
        value: pValue.value,
        headers,
        ...(pPartition.value !== '' ? { partition: Number(pPartition.value) } : {}),
      }),
    ).then((r) => {
      if (r) {
        setText(
          pStatus,
          `Sent to ${r.topic} partition ${r.partition} at offset ${fmt.count(r.offset)}.`,
        );
        announce('Message produced');
      }
    });
  });

  // Reload the list when the broker comes up.
  let brokerRunning = false;
  store.subscribe((s) => {
    const running = s.broker?.state === 'running';
    if (running && !brokerRunning && !element.hidden) void loadTopics();
    brokerRunning = running;
  });

  return {
    id: 'topics',
    title: 'Topics',
    element,
    onShow() {
      void loadTopics();
      void savedViews.refresh(topic);
      renderRows();
    },
  };
}
