import {
  cellsOf,
  compareCells,
  fieldPaths,
  parseColumnList,
  parseJsonValue,
  type Cell,
} from '../../contract/json-fields.js';
import type { MessageRecord } from '../../contract/messages.js';
import { field, h, replace, show } from '../dom.js';

/**
 * JSON fields of the values as columns of the message list (issue 12): typed as dotted paths or
 * picked from the fields found in the loaded messages, sortable by a click on their header. The
 * sort is over the loaded messages only (a page, or a live tail's last rows), and says so.
 */

export type SortDir = 'asc' | 'desc';
export interface ColumnSort {
  /** A column's index, or -1 for the time (the page's own order, newest first). */
  column: number;
  dir: SortDir;
}

export interface MessageColumns {
  /** The controls: the columns field and the fields on offer. */
  controls: HTMLElement;
  /** The header row above the list (hidden without columns). */
  header: HTMLElement;
  columns(): readonly string[];
  setColumns(columns: readonly string[]): void;
  cells(r: MessageRecord): Cell[];
  /** The rows in the chosen order (the same array when unsorted). */
  order(rows: MessageRecord[]): MessageRecord[];
  /** "sorted by price, descending, over the 100 loaded messages" or ''. */
  sortNote(loaded: number): string;
  /** Offers the fields found in these records (the first few JSON values). */
  offerFields(rows: readonly MessageRecord[]): void;
  /** The CSS grid of a row: meta, the columns, the value. */
  gridTemplate(): string;
}

const OFFER_FROM = 50;

export function createMessageColumns(
  onChange: () => void,
  fail: (err: unknown) => void,
): MessageColumns {
  let columns: string[] = [];
  let sort: ColumnSort | null = null;
  let cache = new WeakMap<MessageRecord, Cell[]>();

  const input = h('input', {
    type: 'text',
    placeholder: 'symbol, price, context.session',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const applyButton = h('button', { type: 'button' }, 'Show columns');
  const offered = h('ul', { class: 'field-chips', 'aria-label': 'Fields to add as columns' });
  const controls = h(
    'div',
    { class: 'msg-columns-controls' },
    field('Columns', input, 'JSON fields of the value, comma-separated; dots for nesting'),
    h('div', { class: 'actions' }, applyButton),
    offered,
  );
  const header = h('div', { class: 'msg-columns-head', hidden: true });

  const set = (next: readonly string[]) => {
    columns = [...next];
    cache = new WeakMap();
    if (sort && sort.column >= columns.length) sort = null;
    input.value = columns.join(', ');
    renderHeader();
    onChange();
  };

  const apply = () => {
    try {
      set(parseColumnList(input.value));
    } catch (err) {
      fail(new Error(`Columns: ${columnError(err)}`));
    }
  };
  applyButton.addEventListener('click', apply);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') apply();
  });

  function sortButton(label: string, column: number) {
    const active = sort?.column === column;
    const arrow = active ? (sort!.dir === 'asc' ? ' ▲' : ' ▼') : '';
    return h(
      'button',
      {
        type: 'button',
        class: 'col-sort',
        'aria-label': `Sort by ${label}`,
        'aria-pressed': active ? 'true' : 'false',
        title: active
          ? `sorted ${sort!.dir === 'asc' ? 'ascending' : 'descending'}: click to reverse`
          : `sort the loaded messages by ${label}`,
        on: {
          click: () => {
            sort =
              sort?.column === column
                ? { column, dir: sort.dir === 'asc' ? 'desc' : 'asc' }
                : { column, dir: column === -1 ? 'desc' : 'asc' };
            if (column === -1 && sort.dir === 'desc') sort = null; // the page's own order
            renderHeader();
            onChange();
          },
        },
      },
      `${label}${arrow}`,
    );
  }

  function renderHeader() {
    show(header, columns.length > 0);
    header.style.gridTemplateColumns = gridTemplate();
    replace(
      header,
      sortButton('Time', -1),
      ...columns.map((c, i) => sortButton(c, i)),
      h('span', { class: 'col-value muted' }, 'Value'),
    );
  }

  function gridTemplate(): string {
    return `minmax(23em, auto) ${columns.map(() => 'minmax(6em, 1fr)').join(' ')} minmax(10em, 2fr)`;
  }

  function cells(r: MessageRecord): Cell[] {
    let c = cache.get(r);
    if (!c) {
      const json =
        r.value?.encoding === 'json' ? parseJsonValue(r.value.text, r.value.truncated) : undefined;
      c = cellsOf(json, columns);
      cache.set(r, c);
    }
    return c;
  }

  return {
    controls,
    header,
    columns: () => columns,
    setColumns: set,
    cells,
    gridTemplate,
    order(rows) {
      if (!sort) return rows;
      const { column, dir } = sort;
      const byTime = (a: MessageRecord, b: MessageRecord) =>
        a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset;
      // Ties keep the page's order (Array.prototype.sort is stable).
      return [...rows].sort((a, b) =>
        column === -1
          ? byTime(a, b)
          : compareCells(cells(a)[column]!, cells(b)[column]!, dir) ||
            (dir === 'asc' ? byTime(a, b) : byTime(b, a)),
      );
    },
    sortNote(loaded) {
      if (!sort) return '';
      const name = sort.column === -1 ? 'time' : columns[sort.column];
      return `sorted by ${name}, ${sort.dir === 'asc' ? 'ascending' : 'descending'}, over the ${loaded.toLocaleString('en-US')} loaded messages only`;
    },
    offerFields(rows) {
      const seen = new Set<string>();
      for (const r of rows.slice(0, OFFER_FROM)) {
        if (r.value?.encoding !== 'json') continue;
        for (const p of fieldPaths(parseJsonValue(r.value.text, r.value.truncated))) seen.add(p);
        if (seen.size >= 50) break;
      }
      const fresh = [...seen].filter((p) => !columns.includes(p)).slice(0, 30);
      replace(
        offered,
        ...fresh.map((p) =>
          h(
            'li',
            null,
            h(
              'button',
              {
                type: 'button',
                class: 'chip',
                'aria-label': `Add column ${p}`,
                on: {
                  click: () => {
                    if (columns.length >= 20) {
                      fail(new Error('Columns: at most 20'));
                      return;
                    }
                    set([...columns, p]);
                  },
                },
              },
              `+ ${p}`,
            ),
          ),
        ),
      );
      show(offered, fresh.length > 0);
    },
  };
}

function columnError(err: unknown): string {
  const issues = (err as { issues?: { message: string }[] }).issues;
  return issues?.[0]?.message ?? (err instanceof Error ? err.message : String(err));
}

/** The text of a row's cells, for its accessible name. */
export function cellSummary(columns: readonly string[], cells: readonly Cell[]): string {
  return columns.map((c, i) => `${c} ${cells[i]?.empty ? '(none)' : cells[i]?.text}`).join(', ');
}
