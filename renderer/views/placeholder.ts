import { h } from '../dom.js';
import type { Screen } from './frame.js';

/** A designed empty state for a screen another release fills (Topics, Charts). */
export function createPlaceholder(id: string, title: string, lines: string[]): Screen {
  const element = h(
    'div',
    { class: 'screen', 'aria-labelledby': `${id}-title` },
    h('h1', { id: `${id}-title`, class: 'screen-title' }, title),
    h(
      'div',
      { class: 'empty-state' },
      h('div', { class: 'empty-mark', 'aria-hidden': 'true' }),
      h('h2', null, `${title} is coming in the next release`),
      ...lines.map((line) => h('p', null, line)),
    ),
  );
  return { id, title, element };
}
