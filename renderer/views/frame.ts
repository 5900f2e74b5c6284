import { h, setText, show } from '../dom.js';
import * as fmt from '../format.js';
import type { AppState, Store } from '../store.js';
import { brokerStateWords, enricherStateWords, producerStateWords, toneClass } from './words.js';

/**
 * The app frame: sidebar navigation (Ctrl/Cmd+1…4), the always-visible status bar, the
 * connection banner, a polite live region for state changes, and the selected screen.
 */

export interface Screen {
  id: string;
  title: string;
  element: HTMLElement;
  /** Called when the screen becomes visible. */
  onShow?(): void;
}

export interface Frame {
  root: HTMLElement;
  /** Announces a change to screen readers (polite), e.g. "Producer running". */
  announce(text: string): void;
  select(id: string): void;
}

export function createFrame(
  store: Store,
  screens: Screen[],
  carrier: 'desktop' | 'browser',
  onReload: () => void,
): Frame {
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
  const links = new Map<string, HTMLAnchorElement>();
  const isMac = /Mac|iPhone|iPad/.test(navigator.platform);
  const nav = h(
    'nav',
    { class: 'nav', 'aria-label': 'Screens' },
    h(
      'ul',
      null,
      ...screens.map((screen, i) => {
        const a = h(
          'a',
          {
            href: `#${screen.id}`,
            'aria-keyshortcuts': `${isMac ? 'Meta' : 'Control'}+${i + 1}`,
            title: `${screen.title} (${isMac ? '⌘' : 'Ctrl+'}${i + 1})`,
          },
          screen.title,
        );
        links.set(screen.id, a);
        return h('li', null, a);
      }),
    ),
  );

  // ---- status bar ------------------------------------------------------------------------
  const item = (label: string, valueClass = 'num') => {
    const value = h('span', { class: `value ${valueClass}` });
    const el = h('div', { class: 'status-item' }, h('span', { class: 'label' }, label), value);
    return { el, value };
  };
  const brokerDot = h('span', { class: 'dot', 'aria-hidden': 'true' });
  const brokerWord = h('span', { class: 'value' });
  const brokerWhere = h('span', { class: 'value muted' });
  const brokerItem = h(
    'div',
    { class: 'status-item broker' },
    h('span', { class: 'label' }, 'Broker'),
    brokerDot,
    brokerWord,
    brokerWhere,
  );
  const produced = item('produced');
  const enriched = item('enriched');
  const lag = item('lag');
  const dead = item('dead letters');
  const rows = item('rows stored');
  const clock = h('time', { class: 'status-item clock num' });
  const statusBar = h(
    'section',
    { class: 'statusbar', 'aria-label': 'Status' },
    brokerItem,
    produced.el,
    enriched.el,
    lag.el,
    dead.el,
    rows.el,
    clock,
  );

  // ---- connection banner -------------------------------------------------------------------
  const bannerText = h('span');
  const reloadButton = h('button', { type: 'button', on: { click: onReload } }, 'Reload');
  const banner = h(
    'div',
    { class: 'banner', role: 'alert', hidden: true },
    bannerText,
    reloadButton,
  );

  const content = h('main', { class: 'content', id: 'screen', tabindex: '-1' });
  for (const screen of screens) {
    screen.element.hidden = true;
    content.append(screen.element);
  }

  const root = h(
    'div',
    { class: 'app' },
    h(
      'a',
      { class: 'skip-link', href: '#screen', on: { click: skipToContent } },
      'Skip to the screen',
    ),
    h(
      'aside',
      { class: 'sidebar' },
      h(
        'div',
        { class: 'brand' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        'Volatility Insight',
      ),
      nav,
      h(
        'p',
        { class: 'sidebar-hint' },
        `${isMac ? '⌘' : 'Ctrl+'}1…${screens.length} switch screens`,
      ),
    ),
    h('div', { class: 'main' }, statusBar, banner, content),
    live,
  );

  function skipToContent(e: Event) {
    e.preventDefault();
    content.focus();
  }

  let current = '';
  const select = (id: string) => {
    const screen = screens.find((s) => s.id === id) ?? screens[0];
    if (!screen || screen.id === current) return;
    current = screen.id;
    for (const s of screens) show(s.element, s === screen);
    for (const [sid, a] of links) {
      if (sid === screen.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${screen.title} — Volatility Insight`;
    if (location.hash !== `#${screen.id}`) history.replaceState(null, '', `#${screen.id}`);
    screen.onShow?.();
  };

  window.addEventListener('hashchange', () => select(location.hash.slice(1)));
  window.addEventListener('keydown', (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
    const n = Number(e.key);
    const screen = Number.isInteger(n) && n >= 1 ? screens[n - 1] : undefined;
    if (!screen) return;
    e.preventDefault();
    select(screen.id);
    links.get(screen.id)?.focus();
  });

  let announced = '';
  const announce = (text: string) => {
    // the same text twice is still announced: clear, then set on the next frame
    live.textContent = '';
    announced = text;
    setTimeout(() => {
      if (announced === text) live.textContent = text;
    }, 50);
  };

  store.subscribe((s) => renderStatus(s));
  function renderStatus(s: AppState) {
    const b = s.broker;
    const brokerJob = store.brokerJob();
    const state = brokerJob
      ? brokerJob.kind === 'broker-start'
        ? 'starting'
        : 'stopping'
      : (b?.state ?? 'unknown');
    setText(brokerWord, brokerStateWords(state));
    brokerDot.className = `dot ${toneClass(state)}`;
    setText(brokerWhere, b ? `${b.brokers.join(', ') || '—'} (${providerShort(b.provider)})` : '');
    const p = s.producer?.stats ?? null;
    const e = s.enricher?.stats ?? null;
    const last = s.lastStats.enricher;
    setText(produced.value, s.producer ? fmt.rate(p?.rate ?? 0) : producerStateWords(null));
    setText(enriched.value, s.enricher ? fmt.rate(e?.rate ?? 0) : enricherStateWords(null));
    setText(lag.value, fmt.count(e?.lag ?? null));
    setText(dead.value, fmt.count((e ?? last)?.deadLetters ?? null));
    setText(rows.value, fmt.count((e ?? last)?.rowsStored ?? null));
    setText(clock, fmt.utcTime(s.now));
    clock.dateTime = new Date(s.now).toISOString();

    const c = s.connection;
    show(banner, c.state !== 'open');
    show(
      reloadButton,
      c.state === 'closed' || (carrier === 'desktop' && c.state === 'reconnecting'),
    );
    banner.className = `banner ${c.state === 'closed' ? 'tone-bad' : 'tone-warn'}`;
    setText(
      bannerText,
      c.state === 'connecting'
        ? 'Connecting to the service…'
        : c.state === 'reconnecting'
          ? carrier === 'desktop'
            ? `The app's service stopped (${c.reason}) — reconnecting… If this lasts, reload the window.`
            : `Disconnected — reconnecting… (attempt ${c.attempt}: ${c.reason}). If this lasts, check that the server still runs, or open the address it printed (with its token) again.`
          : c.state === 'closed'
            ? `The app's service stopped (${c.reason}). Reload the window to start it again.`
            : '',
    );
  }

  return { root, announce, select };
}

function providerShort(p: string): string {
  return p === 'jvm' ? 'built-in' : p;
}
