/**
 * The one DOM helper: elements are built with properties and attributes, and text is only ever
 * set through `textContent` (a string child becomes a Text node). Nothing here parses HTML, so
 * outside text (symbols, reasons, log lines, client ids, weather text) can never become markup.
 */

type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;

export interface Attrs {
  /** Space-separated class names. */
  class?: string;
  /** Event listeners: `on: { click: … }`. */
  on?: Record<string, Handler>;
  /** Anything else: set as an attribute (`true` = present, `false`/`undefined` = absent). */
  [attr: string]: string | number | boolean | undefined | Record<string, Handler>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'on') {
        for (const [type, fn] of Object.entries(value as Record<string, Handler>)) {
          el.addEventListener(type, fn);
        }
      } else if (name.toLowerCase().startsWith('on')) {
        throw new Error(`use attrs.on for the ${name} handler`);
      } else if (value === true) {
        el.setAttribute(name, '');
      } else if (value !== false && value !== undefined) {
        el.setAttribute(name, String(value));
      }
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      typeof child === 'string' || typeof child === 'number'
        ? document.createTextNode(String(child))
        : child,
    );
  }
}

/** Replaces an element's children. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** Sets text only when it changed (keeps screen readers and selections calm). */
export function setText(el: Node, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function show(el: HTMLElement, visible: boolean): void {
  if (el.hidden === visible) el.hidden = !visible;
}

let idCounter = 0;
/** A unique id for `<label for>` / `aria-describedby` pairs. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled field: `<div class="field"><label for=id>text</label>control hint</div>`. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string | Node,
): HTMLDivElement {
  if (!control.id) control.id = uid('f');
  let hintEl: HTMLElement | null = null;
  if (hint !== undefined) {
    hintEl = h('span', { class: 'hint', id: uid('hint') }, hint);
    control.setAttribute('aria-describedby', hintEl.id);
  }
  const inline =
    control instanceof HTMLInputElement && ['checkbox', 'radio'].includes(control.type);
  return h(
    'div',
    { class: inline ? 'field inline' : 'field' },
    ...(inline
      ? [control, h('label', { for: control.id }, label)]
      : [h('label', { for: control.id }, label), control]),
    hintEl,
  );
}
