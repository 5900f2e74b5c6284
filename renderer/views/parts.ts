import { h, replace, setText, show } from '../dom.js';
import { explain, type FixAction } from '../errors.js';
import { toneClass } from './words.js';

/** Pieces every card uses: the head with its state in words, counters, an error box, dialogs. */

export function stateBadge(): { el: HTMLElement; set(state: string, words: string): void } {
  const dot = h('span', { class: 'dot', 'aria-hidden': 'true' });
  const text = h('span');
  const el = h('span', { class: 'state' }, dot, text);
  return {
    el,
    set(state, words) {
      el.className = `state ${toneClass(state)}`;
      setText(text, words);
    },
  };
}

export function card(id: string, title: string, badge: HTMLElement, ...body: HTMLElement[]) {
  const headingId = `${id}-title`;
  return h(
    'section',
    { class: 'card', id, 'aria-labelledby': headingId },
    h('header', { class: 'card-head' }, h('h2', { id: headingId }, title), badge),
    ...body,
  );
}

export interface Counters {
  el: HTMLElement;
  set(name: string, value: string): void;
}

let counterIds = 0;

/** Counters as a description list; each term-value pair is a group named by its term. */
export function counters(names: string[]): Counters {
  const values = new Map<string, HTMLElement>();
  const el = h(
    'dl',
    { class: 'counters' },
    ...names.map((name) => {
      const id = `counter-${++counterIds}`;
      const dd = h('dd', { class: 'num' }, '—');
      values.set(name, dd);
      return h('div', { role: 'group', 'aria-labelledby': id }, h('dt', { id }, name), dd);
    }),
  );
  return {
    el,
    set(name, value) {
      const dd = values.get(name);
      if (dd) setText(dd, value);
    },
  };
}

export interface ErrorBox {
  el: HTMLElement;
  set(err: unknown | null): void;
}

/** An error in plain words, what to do, and the buttons that fix it. */
export function errorBox(onAction: (action: FixAction) => void): ErrorBox {
  const title = h('strong', { class: 'error-title' });
  const message = h('p', { class: 'error-message' });
  const advice = h('p', { class: 'error-advice' });
  const detail = h('pre', { class: 'error-detail' });
  const detailBox = h('details', null, h('summary', null, 'Details'), detail);
  const actions = h('div', { class: 'actions' });
  const el = h(
    'div',
    { class: 'error-box', role: 'alert', hidden: true },
    h('span', { class: 'error-icon', 'aria-hidden': 'true' }, '!'),
    h('div', { class: 'error-body' }, title, message, advice, detailBox, actions),
  );
  let shown: unknown = null;
  return {
    el,
    set(err) {
      if (err === shown) return;
      shown = err;
      show(el, err !== null && err !== undefined);
      if (err === null || err === undefined) return;
      const e = explain(err);
      setText(title, e.title);
      setText(message, e.message);
      setText(advice, e.advice);
      show(advice, e.advice !== '' && e.advice !== e.message);
      setText(detail, e.detail ?? '');
      show(detailBox, Boolean(e.detail));
      replace(
        actions,
        ...e.actions.map((a) =>
          h('button', { type: 'button', on: { click: () => onAction(a.action) } }, a.label),
        ),
      );
    },
  };
}

/**
 * A modal confirmation (<dialog>): resolves true when the person confirms. With `typeToConfirm`,
 * the confirm button works only once that exact text is typed.
 */
export function confirmDialog(options: {
  title: string;
  body: string[];
  confirmLabel: string;
  danger?: boolean;
  typeToConfirm?: string;
}): Promise<string | null> {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const input = options.typeToConfirm
      ? h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', id: `${titleId}-in` })
      : null;
    const confirm = h(
      'button',
      { type: 'submit', class: options.danger ? 'danger' : 'primary', value: 'confirm' },
      options.confirmLabel,
    );
    const cancel = h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel');
    const dialog = h(
      'dialog',
      { 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, options.title),
        ...options.body.map((p) => h('p', null, p)),
        input
          ? h(
              'div',
              { class: 'field' },
              h(
                'label',
                { for: input.id },
                'Type ',
                h('code', null, options.typeToConfirm ?? ''),
                ' to confirm',
              ),
              input,
            )
          : null,
        h('div', { class: 'actions end' }, cancel, confirm),
      ),
    );
    if (input) {
      confirm.disabled = true;
      input.addEventListener('input', () => {
        confirm.disabled = input.value.trim() !== options.typeToConfirm;
      });
    }
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'confirm';
      dialog.remove();
      resolve(ok ? (input ? input.value.trim() : 'confirm') : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (input ?? cancel).focus();
  });
}

/** Runs a call while a button shows it is working; returns whether it succeeded. */
export async function busy<T>(button: HTMLButtonElement, work: () => Promise<T>): Promise<T> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
