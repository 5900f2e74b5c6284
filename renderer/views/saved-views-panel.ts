import {
  SAVED_VIEWS_IMPORT_MAX_BYTES,
  type ImportConflict,
  type ImportReport,
  type SavedView,
  type SavedViewInput,
} from '../../contract/saved-views.js';
import { ServiceError } from '../../contract/rpc.js';
import type { AppApi } from '../api-client.js';
import { field, h, replace, setText, show } from '../dom.js';
import { explain } from '../errors.js';
import * as fmt from '../format.js';

/**
 * Saved views of the Topics screen (issue 12): the current topic, partitions, start, filter,
 * columns and time zone saved under a name in the app's database; listed per topic (the open
 * topic's first), opened in one click, renamed and deleted in place; exported to a JSON file and
 * imported from one, so a team can share them.
 */

export interface SavedViewsPanel {
  element: HTMLElement;
  /** Lists the views again, the given topic's first. */
  refresh(topic: string | null): Promise<void>;
}

export interface SavedViewsHost {
  /** What the screen shows now, as a view to save; null without a topic. */
  current(): Omit<SavedViewInput, 'name'> | null;
  /** Opens a view: checks its topic exists and applies everything it holds. */
  open(view: SavedView): Promise<void>;
  announce(text: string): void;
}

const CONFIRM_MS = 5000;

export function createSavedViewsPanel(api: AppApi, host: SavedViewsHost): SavedViewsPanel {
  let views: SavedView[] = [];
  let topic: string | null = null;

  const nameInput = h('input', { type: 'text', autocomplete: 'off', maxlength: 100 });
  const saveButton = h('button', { type: 'submit' }, 'Save view');
  const replaceButton = h('button', { type: 'button', hidden: true }, 'Replace it');
  const status = h('p', { class: 'muted', role: 'status' });
  const lists = h('div', { class: 'saved-view-lists' });
  const exportButton = h('button', { type: 'button' }, 'Export views');
  const importInput = h('input', { type: 'file', accept: '.json,application/json' });
  const conflict = h(
    'select',
    null,
    h('option', { value: 'skip' }, 'keep the existing view'),
    h('option', { value: 'rename' }, 'import as "name (2)"'),
    h('option', { value: 'replace' }, 'replace the existing view'),
  );
  const saveForm = h(
    'form',
    { class: 'saved-view-save', 'aria-label': 'Save this view' },
    field('View name', nameInput, 'topic, partitions, start, filter, columns and time zone'),
    h('div', { class: 'actions' }, saveButton, replaceButton),
  );
  const element = h(
    'section',
    { class: 'saved-views', 'aria-labelledby': 'saved-views-title' },
    h('h2', { id: 'saved-views-title', class: 'side-title' }, 'Saved views'),
    saveForm,
    status,
    lists,
    h(
      'details',
      { class: 'saved-views-share' },
      h('summary', null, 'Share views'),
      h('div', { class: 'actions' }, exportButton),
      field('Import views', importInput, 'a file exported by this app'),
      field('When a name exists', conflict),
    ),
  );

  const say = (text: string) => setText(status, text);
  const fail = (err: unknown) => {
    const e = explain(err);
    say(`${e.title}: ${e.message}`);
  };

  async function refresh(forTopic: string | null) {
    topic = forTopic;
    try {
      views = await api.call('views.list', {});
    } catch (err) {
      fail(err);
      return;
    }
    render();
  }

  function render() {
    const byTopic = new Map<string, SavedView[]>();
    for (const v of views) byTopic.set(v.topic, [...(byTopic.get(v.topic) ?? []), v]);
    const order = [...byTopic.keys()].sort((a, b) =>
      a === topic ? -1 : b === topic ? 1 : a < b ? -1 : a > b ? 1 : 0,
    );
    replace(
      lists,
      ...(views.length === 0
        ? [h('p', { class: 'muted' }, 'No saved views yet: open a topic, then save what you see.')]
        : order.map((t) =>
            h(
              'div',
              { class: 'saved-view-group' },
              h('h3', { class: 'saved-view-topic' }, t === topic ? `${t} (open)` : t),
              h(
                'ul',
                { class: 'saved-view-list', 'aria-label': `Saved views of ${t}` },
                ...byTopic.get(t)!.map(item),
              ),
            ),
          )),
    );
  }

  function item(v: SavedView): HTMLElement {
    const li = h('li', { class: 'saved-view' });
    const describe = [
      v.partitions ? `partitions ${v.partitions.join(', ')}` : 'all partitions',
      v.start.kind === 'offset'
        ? `from offset ${fmt.count(v.start.offset)}`
        : v.start.kind === 'timestamp'
          ? `from ${fmt.utcDateTime(v.start.ts)}`
          : v.start.kind,
      v.filter ? `filter ${v.filter}` : '',
      v.columns.length > 0 ? `columns ${v.columns.join(', ')}` : '',
      v.timeZone === 'local' ? 'local time' : 'UTC',
    ]
      .filter(Boolean)
      .join(' · ');
    const openButton = h(
      'button',
      {
        type: 'button',
        class: 'saved-view-open',
        'aria-label': `Open view ${v.name}`,
        title: describe,
        on: { click: () => void host.open(v) },
      },
      v.name,
    );
    const renameButton = h(
      'button',
      { type: 'button', class: 'small', 'aria-label': `Rename view ${v.name}` },
      'Rename',
    );
    const deleteButton = h(
      'button',
      { type: 'button', class: 'small', 'aria-label': `Delete view ${v.name}` },
      'Delete',
    );
    let armed: ReturnType<typeof setTimeout> | null = null;
    deleteButton.addEventListener('click', () => {
      if (!armed) {
        setText(deleteButton, 'Confirm delete');
        deleteButton.setAttribute('aria-label', `Confirm deleting view ${v.name}`);
        armed = setTimeout(() => {
          armed = null;
          setText(deleteButton, 'Delete');
          deleteButton.setAttribute('aria-label', `Delete view ${v.name}`);
        }, CONFIRM_MS);
        return;
      }
      clearTimeout(armed);
      void (async () => {
        try {
          await api.call('views.delete', { name: v.name });
          say(`Deleted view "${v.name}".`);
          host.announce(`Deleted view ${v.name}`);
          await refresh(topic);
        } catch (err) {
          fail(err);
        }
      })();
    });
    renameButton.addEventListener('click', () => {
      const input = h('input', {
        type: 'text',
        value: v.name,
        maxlength: 100,
        'aria-label': `New name for view ${v.name}`,
      });
      const ok = h('button', { type: 'submit', class: 'small' }, 'Rename');
      const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel');
      const form = h(
        'form',
        { class: 'saved-view-rename', 'aria-label': `Rename view ${v.name}` },
        input,
        ok,
        cancel,
      );
      cancel.addEventListener('click', render);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void (async () => {
          try {
            const renamed = await api.call('views.rename', { from: v.name, to: input.value });
            say(`Renamed "${v.name}" to "${renamed.name}".`);
            await refresh(topic);
          } catch (err) {
            fail(err);
          }
        })();
      });
      replace(li, form);
      input.focus();
      input.select();
    });
    append(li, openButton, h('span', { class: 'muted saved-view-desc' }, describe));
    append(li, renameButton, deleteButton);
    return li;
  }

  async function save(replaceExisting: boolean) {
    const current = host.current();
    if (!current) {
      say('Open a topic first: a view saves what the screen shows.');
      return;
    }
    try {
      const saved = await api.call('views.save', {
        view: { ...current, name: nameInput.value },
        replace: replaceExisting,
      });
      show(replaceButton, false);
      say(`Saved view "${saved.name}" of ${saved.topic}.`);
      host.announce(`Saved view ${saved.name}`);
      await refresh(topic);
    } catch (err) {
      const e = explain(err);
      const exists = err instanceof ServiceError && err.code === 'view-exists';
      show(replaceButton, exists);
      say(
        exists
          ? `${e.message} Replace it with what the screen shows now?`
          : `${e.title}: ${e.message}`,
      );
    }
  }
  saveForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void save(false);
  });
  replaceButton.addEventListener('click', () => void save(true));
  nameInput.addEventListener('input', () => show(replaceButton, false));

  exportButton.addEventListener('click', () => {
    void (async () => {
      try {
        const doc = await api.call('views.export', {});
        const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: 'volatility-insight-views.json' });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        say(`Exported ${doc.views.length} view${doc.views.length === 1 ? '' : 's'}.`);
      } catch (err) {
        fail(err);
      }
    })();
  });

  importInput.addEventListener('change', () => {
    const file = importInput.files?.[0];
    importInput.value = '';
    if (!file) return;
    void (async () => {
      if (file.size > SAVED_VIEWS_IMPORT_MAX_BYTES) {
        say(
          `${file.name} is ${fmt.bytes(file.size)}; a views file is at most ${fmt.bytes(SAVED_VIEWS_IMPORT_MAX_BYTES)}.`,
        );
        return;
      }
      let document: unknown;
      try {
        document = JSON.parse(await file.text());
      } catch {
        say(`${file.name} is not JSON: pick a file exported with "Export views".`);
        return;
      }
      try {
        const report = await api.call('views.import', {
          document,
          onConflict: conflict.value as ImportConflict,
        });
        say(reportText(report));
        host.announce('Views imported');
        await refresh(topic);
      } catch (err) {
        fail(err);
      }
    })();
  });

  return { element, refresh };
}

function append(parent: HTMLElement, ...children: HTMLElement[]) {
  for (const c of children) parent.append(c);
}

export function reportText(r: ImportReport): string {
  const parts = [
    `Imported ${r.imported.length}`,
    r.replaced.length > 0 ? `replaced ${r.replaced.length}` : '',
    r.renamed.length > 0
      ? `renamed ${r.renamed.map((x) => `"${x.from}" → "${x.to}"`).join(', ')}`
      : '',
    r.skipped.length > 0
      ? `kept ${r.skipped.length} existing (${r.skipped.map((x) => `"${x.name}"`).join(', ')})`
      : '',
    r.invalid.length > 0
      ? `refused ${r.invalid.length}: ${r.invalid
          .slice(0, 5)
          .map((x) => `#${x.index + 1}${x.name ? ` "${x.name}"` : ''}: ${x.reason}`)
          .join('; ')}`
      : '',
  ];
  return `${parts.filter(Boolean).join(', ')}.`;
}
