import type { StoredDeadLetter } from '../../contract/dead-letters.js';
import { TOPICS } from '../../contract/trade.js';
import type { AppApi } from '../api-client.js';
import { field, h, replace, setText, show } from '../dom.js';
import { explain } from '../errors.js';
import * as fmt from '../format.js';

/**
 * The dead letters the enrichment stored in SQLite (the whole original value, where the DLQ
 * topic's record holds at most 256 KiB of it): newest first, a filter on the reason, pages of
 * older ones, each with its reason beside its bytes; select one or many and Republish them to
 * the source topic (header x-vi-republished-from: sqlite:dead_letters/ID).
 */
export function createStoredDeadLetters(
  api: AppApi,
  announce: (t: string) => void,
): { element: HTMLElement; load(): Promise<void> } {
  let rows: StoredDeadLetter[] = [];
  let older: number | null = null;
  const checked = new Set<number>();

  const reasonInput = h('input', { type: 'text', autocomplete: 'off', placeholder: 'not JSON' });
  const applyButton = h('button', { type: 'button' }, 'Apply reason filter');
  const olderButton = h('button', { type: 'button', disabled: true }, 'Older stored');
  const republishButton = h('button', { type: 'button', disabled: true }, 'Republish selected');
  const status = h('p', { class: 'muted', role: 'status' });
  const errorLine = h('p', { class: 'error-line', role: 'alert', hidden: true });
  const list = h('ul', { class: 'stored-dead-letters', 'aria-label': 'Stored dead letters' });
  const element = h(
    'section',
    { class: 'stored-dead', 'aria-label': 'Dead letters stored in the database' },
    h('div', { class: 'msg-toolbar' }, field('Reason contains', reasonInput)),
    h('div', { class: 'actions' }, applyButton, olderButton, republishButton),
    errorLine,
    status,
    list,
  );

  const fail = (err: unknown) => {
    const e = explain(err);
    setText(errorLine, `${e.title}: ${e.message}`);
    show(errorLine, true);
  };

  function renderSelection() {
    republishButton.disabled = checked.size === 0;
    setText(republishButton, `Republish selected (${checked.size})`);
  }

  function render() {
    replace(
      list,
      ...rows.map((r) => {
        const box = h('input', {
          type: 'checkbox',
          id: `stored-dl-${r.id}`,
          checked: checked.has(r.id),
          on: {
            change: (e) => {
              if ((e.target as HTMLInputElement).checked) checked.add(r.id);
              else checked.delete(r.id);
              renderSelection();
            },
          },
        });
        const value = r.value
          ? `${r.value.encoding === 'binary' ? 'hex ' : ''}${r.value.text}`
          : 'null';
        return h(
          'li',
          { class: 'msg-item dead' },
          box,
          h(
            'label',
            { for: box.id },
            h('span', { class: 'dead-reason' }, r.reason),
            ' · ',
            h(
              'span',
              { class: 'muted' },
              `#${r.id} · partition ${r.sourcePartition} offset ${fmt.count(r.sourceOffset)} · ${new Date(r.receivedAt).toISOString()} · key ${r.key ?? '—'} · ${fmt.bytes(r.bytes)}${r.value?.truncated ? ' (shown in part)' : ''}`,
            ),
          ),
          h('pre', { class: 'detail-value' }, value),
        );
      }),
    );
    olderButton.disabled = older === null;
    renderSelection();
  }

  async function read(before: number | null) {
    show(errorLine, false);
    setText(status, 'Reading…');
    const reason = reasonInput.value.trim();
    try {
      const page = await api.call('dead-letters.stored', {
        limit: 100,
        ...(reason ? { reason } : {}),
        ...(before !== null ? { before } : {}),
      });
      rows = page.rows;
      older = page.older;
      render();
      setText(
        status,
        !page.exists
          ? 'No database yet: the enrichment has not stored anything.'
          : rows.length === 0
            ? 'No stored dead letters here.'
            : `${fmt.count(rows.length)} stored dead letters, newest first`,
      );
    } catch (err) {
      setText(status, '');
      fail(err);
    }
  }

  applyButton.addEventListener('click', () => void read(null));
  reasonInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void read(null);
  });
  olderButton.addEventListener('click', () => {
    if (older !== null) void read(older);
  });
  republishButton.addEventListener('click', () => {
    const items = [...checked].map((id) => ({ id }));
    if (items.length === 0) return;
    show(errorLine, false);
    void api
      .call('dead-letters.republish-stored', { topic: TOPICS.trades, items })
      .then((result) => {
        checked.clear();
        render();
        const text = result.republished
          .map((r) => `${r.from} → ${r.topic}/${r.partition}/${r.offset}`)
          .join(', ');
        setText(status, `Republished ${result.republished.length}: ${text}`);
        announce(
          `Republished ${result.republished.length} stored dead letter${result.republished.length === 1 ? '' : 's'}`,
        );
      })
      .catch(fail);
  });

  return { element, load: () => read(null) };
}
