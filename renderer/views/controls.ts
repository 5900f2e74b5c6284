import { ServiceError } from '../../contract/rpc.js';
import type { BrokerProviderName } from '../../contract/broker.js';
import type { BrokerChoice } from '../../contract/service.js';
import type { AppApi } from '../api-client.js';
import { desktopBridge } from '../desktop-bridge.js';
import { field, h, replace, setText, show, uid } from '../dom.js';
import type { FixAction } from '../errors.js';
import * as fmt from '../format.js';
import type { AppState, Store } from '../store.js';
import type { Screen } from './frame.js';
import { card, confirmDialog, counters, errorBox, stateBadge } from './parts.js';
import {
  brokerStateWords,
  enricherStateWords,
  PROVIDER_NAMES,
  producerStateWords,
} from './words.js';

/** The Controls screen: the Broker, Producer and Enrichment cards. */
export function createControls(
  api: AppApi,
  store: Store,
  announce: (text: string) => void,
): Screen {
  const broker = brokerCard(api, store, announce);
  const producer = producerCard(api, store, announce);
  const enricher = enricherCard(api, store, announce);
  const element = h(
    'div',
    { class: 'screen', 'aria-labelledby': 'controls-title' },
    h('h1', { id: 'controls-title', class: 'screen-title' }, 'Controls'),
    h('div', { class: 'cards' }, broker.el, producer.el, enricher.el),
  );
  store.subscribe((s) => {
    broker.render(s);
    producer.render(s);
    enricher.render(s);
  });
  return { id: 'controls', title: 'Controls', element };
}

interface Card {
  el: HTMLElement;
  render(s: AppState): void;
}

// ---- Broker ---------------------------------------------------------------------------------

function brokerCard(api: AppApi, store: Store, announce: (t: string) => void): Card {
  const badge = stateBadge();
  const where = h('p', { class: 'card-detail' });
  const health = h('p', { class: 'card-detail muted' });
  let callError: unknown = null;
  let pending = false;
  let lastAnnounced = '';

  // -- options form
  const providers: BrokerProviderName[] = ['docker', 'jvm', 'external'];
  const radioName = uid('provider');
  const radios = new Map<BrokerProviderName, HTMLInputElement>();
  const availability = new Map<BrokerProviderName, HTMLElement>();
  let providerTouched = false;
  const providerSet = h(
    'fieldset',
    { class: 'radios' },
    h('legend', null, 'Provider'),
    ...providers.map((p) => {
      const input = h('input', { type: 'radio', name: radioName, value: p, id: uid('prov') });
      input.addEventListener('change', () => {
        providerTouched = true;
        render(store.state);
      });
      radios.set(p, input);
      const note = h('span', { class: 'hint provider-note', id: uid('prov-note') });
      input.setAttribute('aria-describedby', note.id);
      availability.set(p, note);
      return h(
        'div',
        { class: 'provider-choice' },
        h(
          'div',
          { class: 'field inline' },
          input,
          h('label', { for: input.id }, PROVIDER_NAMES[p]),
        ),
        note,
      );
    }),
  );
  const port = h('input', {
    type: 'number',
    min: '1',
    max: '65535',
    step: '1',
    inputmode: 'numeric',
  });
  const portField = field('Port', port, 'The local broker listens on 127.0.0.1 at this port.');

  const servers = h('input', {
    type: 'text',
    placeholder: 'kafka1:9093, kafka2:9093',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const mechanism = h(
    'select',
    null,
    h('option', { value: '' }, 'None'),
    h('option', { value: 'plain' }, 'PLAIN'),
    h('option', { value: 'scram-sha-256' }, 'SCRAM-SHA-256'),
    h('option', { value: 'scram-sha-512' }, 'SCRAM-SHA-512'),
  );
  const username = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const password = h('input', { type: 'password', autocomplete: 'new-password' });
  const passwordHint = h('span', null, 'Kept by the app; never shown again.');
  const saslFields = h(
    'div',
    { class: 'subfields' },
    field('User name', username),
    field('Password', password, passwordHint),
  );
  const tls = h('input', { type: 'checkbox' });
  const caPem = h('textarea', {
    rows: '3',
    spellcheck: 'false',
    placeholder: '-----BEGIN CERTIFICATE-----',
  });
  const caFile = h('input', { type: 'file', accept: '.pem,.crt,.cer,text/plain' });
  const caNote = h('span', { class: 'hint' });
  const insecure = h('input', { type: 'checkbox' });
  let insecureAcknowledged = false;
  const tlsFields = h(
    'div',
    { class: 'subfields' },
    field('CA certificate (PEM)', caPem, caNote),
    field('…or read it from a file', caFile),
    field(
      'Skip the certificate check (unsafe)',
      insecure,
      'Anyone on the network path could pose as the cluster and read the password.',
    ),
  );
  const externalSet = h(
    'fieldset',
    { class: 'external' },
    h('legend', null, 'External cluster'),
    field('Bootstrap servers', servers, 'HOST:PORT, comma separated'),
    field('SASL mechanism', mechanism),
    saslFields,
    field('Use TLS', tls),
    tlsFields,
  );
  const externalNote = h(
    'p',
    { class: 'hint' },
    'The app does not start or stop an external cluster: “Start broker” checks that it answers and connects to it.',
  );
  const switchNote = h('p', { class: 'hint' });

  mechanism.addEventListener('change', () => render(store.state));
  tls.addEventListener('change', () => render(store.state));
  caFile.addEventListener('change', () => {
    const file = caFile.files?.[0];
    if (!file) return;
    void file.text().then((text) => {
      caPem.value = text;
      caFile.value = '';
    });
  });
  insecure.addEventListener('change', () => {
    if (!insecure.checked) {
      insecureAcknowledged = false;
      return;
    }
    insecure.checked = false;
    void confirmDialog({
      title: 'Skip the certificate check?',
      body: [
        'Without the check, the app cannot tell the real cluster from anyone on the network path who poses as it; they could read the password and the data.',
        'Use this only for a test cluster on a network you trust.',
      ],
      confirmLabel: 'Skip the check',
      danger: true,
    }).then((ok) => {
      insecure.checked = ok !== null;
      insecureAcknowledged = ok !== null;
    });
  });

  const options = h(
    'details',
    { class: 'options' },
    h('summary', null, 'Options'),
    h('div', { class: 'options-body' }, providerSet, portField, externalNote, externalSet),
  );

  // -- actions
  const primary = h('button', { type: 'button', class: 'primary' }, 'Start broker');
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel');
  const progress = h('ol', { class: 'progress-lines', 'aria-label': 'Progress' });
  const errors = errorBox(fix);

  // -- log tail
  const logText = h('pre', { class: 'log', tabindex: '0', 'aria-label': 'Broker log' });
  const logStatus = h('span', { class: 'hint', role: 'status' });
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const logBox = h(
    'details',
    { class: 'log-box' },
    h('summary', null, 'Broker log'),
    h('div', { class: 'actions' }, refresh, logStatus),
    logText,
  );
  logBox.addEventListener('toggle', () => {
    if (logBox.open) void loadLog();
  });
  refresh.addEventListener('click', () => void loadLog());
  async function loadLog() {
    refresh.disabled = true;
    setText(logStatus, 'Loading…');
    try {
      const { text } = await api.call('broker.logs', { lines: 200 });
      logText.textContent = text || '(the log is empty)';
      logText.scrollTop = logText.scrollHeight;
      setText(logStatus, `Updated ${fmt.utcDateTime(Date.now())}`);
    } catch (err) {
      setText(
        logStatus,
        `Could not read the log: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      refresh.disabled = false;
    }
  }

  const reset = h('button', { type: 'button', class: 'link-danger' }, 'Reset data…');
  reset.addEventListener('click', () => void resetData());

  primary.addEventListener('click', () => void (isRunning() ? stop() : start()));
  cancel.addEventListener('click', () => {
    const job = store.brokerJob();
    if (job) void api.call('job.cancel', { jobId: job.id }).catch((err) => (callError = err));
  });

  const el = card(
    'broker',
    'Broker',
    badge.el,
    where,
    health,
    h('div', { class: 'actions' }, primary, cancel),
    progress,
    errors.el,
    switchNote,
    options,
    logBox,
    h('div', { class: 'actions end' }, reset),
  );

  function selected(): BrokerProviderName {
    for (const [p, r] of radios) if (r.checked) return p;
    return 'jvm';
  }

  function isRunning(): boolean {
    const b = store.state.broker;
    return b !== null && (b.state === 'running' || b.state === 'unhealthy') && !store.brokerJob();
  }

  function choice(): BrokerChoice | string {
    const provider = selected();
    if (provider !== 'external') {
      const n = Number(port.value);
      if (!Number.isInteger(n) || n < 1 || n > 65535)
        return 'The port must be a whole number from 1 to 65535.';
      return { provider, port: n };
    }
    const brokers = fmt.list(servers.value);
    if (brokers.length === 0) return 'Enter at least one bootstrap server (HOST:PORT).';
    const mech = mechanism.value as '' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
    if (mech && !username.value.trim()) return 'Enter the user name for SASL.';
    const pem = caPem.value.trim();
    return {
      provider,
      external: {
        brokers,
        sasl: mech
          ? {
              mechanism: mech,
              username: username.value.trim(),
              ...(password.value ? { password: password.value } : {}),
            }
          : null,
        tls: tls.checked
          ? {
              enabled: true,
              ...(pem ? { caPem: pem } : {}),
              insecure: insecure.checked,
              acknowledgeInsecure: insecure.checked && insecureAcknowledged,
            }
          : null,
      },
    };
  }

  async function start() {
    const c = choice();
    if (typeof c === 'string') {
      callError = new ServiceError('invalid-argument', c);
      options.open = true;
      render(store.state);
      return;
    }
    callError = null;
    pending = true;
    render(store.state);
    try {
      await api.call('broker.start', { choice: c, save: true });
      password.value = '';
    } catch (err) {
      callError = err;
    } finally {
      pending = false;
      render(store.state);
    }
  }

  async function stop() {
    callError = null;
    pending = true;
    render(store.state);
    try {
      await api.call('broker.stop', {});
    } catch (err) {
      callError = err;
    } finally {
      pending = false;
      render(store.state);
    }
  }

  async function resetData() {
    const provider = store.state.broker?.provider ?? selected();
    if (provider === 'external') {
      callError = new ServiceError(
        'invalid-argument',
        'The app does not reset an external cluster’s data.',
      );
      render(store.state);
      return;
    }
    const typed = await confirmDialog({
      title: `Reset the ${PROVIDER_NAMES[provider]} broker’s data?`,
      body: [
        'This deletes every topic and message the local broker keeps. The enriched trades already stored in the database stay.',
        'The broker is stopped first if it runs.',
      ],
      confirmLabel: 'Reset data',
      danger: true,
      typeToConfirm: provider,
    });
    if (typed === null) return;
    callError = null;
    try {
      await api.call('broker.reset', { confirm: typed });
    } catch (err) {
      callError = err;
      render(store.state);
    }
  }

  function fix(action: FixAction) {
    const pick = (p: BrokerProviderName) => {
      const r = radios.get(p);
      if (r) r.checked = true;
      providerTouched = true;
      callError = null;
      store.update((s) => delete s.finished['broker-start']);
      options.open = true;
      primary.focus();
    };
    switch (action) {
      case 'use-jvm':
        return pick('jvm');
      case 'use-docker':
        return pick('docker');
      case 'use-external':
        return pick('external');
      case 'change-port':
        options.open = true;
        port.focus();
        port.select();
        return;
      case 'edit-credentials':
        options.open = true;
        (mechanism.value ? username : servers).focus();
        return;
      case 'show-log':
        logBox.open = true;
        void loadLog();
        logText.focus();
        return;
      case 'retry':
        void start();
        return;
    }
  }

  let filled = false;
  function fill(s: AppState) {
    const settings = s.settings;
    if (!settings) return;
    if (!filled) {
      filled = true;
      const saved = settings.broker;
      port.value = String(saved.provider === 'docker' ? saved.docker.port : saved.jvm.port);
      if (saved.external) {
        servers.value = saved.external.brokers.join(', ');
        mechanism.value = saved.external.sasl?.mechanism ?? '';
        username.value = saved.external.sasl?.username ?? '';
        tls.checked = saved.external.tls?.enabled ?? false;
        insecure.checked = saved.external.tls?.insecure ?? false;
        insecureAcknowledged = insecure.checked;
      }
    }
    if (!providerTouched) {
      // the running broker's provider; else the saved choice; else what detection recommends
      const saved = settings.broker.provider;
      const provider =
        s.broker && s.broker.state !== 'stopped'
          ? s.broker.provider
          : settings.broker.providerSaved
            ? saved
            : (s.detection?.recommended ?? saved);
      const r = radios.get(provider);
      if (r && !r.checked) r.checked = true;
    }
    const ext = settings.broker.external;
    setText(
      passwordHint,
      ext?.sasl?.passwordSet
        ? 'Password saved — leave empty to keep it.'
        : 'Kept by the app; never shown again.',
    );
    setText(
      caNote,
      ext?.tls?.customCa
        ? 'A CA certificate is saved — leave empty to keep it.'
        : 'Empty = the system’s certificate authorities.',
    );
  }

  function render(s: AppState) {
    fill(s);
    const job = store.brokerJob();
    const b = s.broker;
    const state = job
      ? job.kind === 'broker-start'
        ? 'starting'
        : 'stopping'
      : (b?.state ?? 'unknown');
    const words =
      job !== null
        ? `${brokerStateWords(state)} ${fmt.duration(s.now - job.startedAt)}`
        : brokerStateWords(state);
    badge.set(state, words);
    if (words !== lastAnnounced && !job) {
      lastAnnounced = words;
      announce(`Broker ${words}`);
    }
    setText(
      where,
      b
        ? `${PROVIDER_NAMES[b.provider]} · ${b.brokers.join(', ') || 'no address'}`
        : 'Checking the broker…',
    );
    const nodes = b?.clusterBrokers?.length;
    setText(
      health,
      b ? `${b.detail}${nodes ? ` · ${nodes} node${nodes === 1 ? '' : 's'}` : ''}` : '',
    );
    show(health, Boolean(b?.detail));

    const running = isRunning();
    setText(primary, running ? 'Stop broker' : 'Start broker');
    primary.disabled = pending || job !== null;
    if (pending || job) primary.setAttribute('aria-busy', 'true');
    else primary.removeAttribute('aria-busy');
    show(cancel, job !== null && job.kind !== 'broker-reset');

    // progress lines of the running job (or the last one's, until the next starts)
    const lines = job?.lines ?? [];
    while (progress.children.length > lines.length) progress.lastElementChild?.remove();
    lines.forEach((line, i) => {
      let li = progress.children[i] as HTMLElement | undefined;
      if (!li) {
        li = h('li', null, h('span', { class: 'num elapsed' }), h('span'));
        progress.append(li);
      }
      setText(li.children[0] as HTMLElement, fmt.duration(line.elapsedMs));
      setText(li.children[1] as HTMLElement, line.step);
    });
    show(progress, lines.length > 0);

    const finished =
      s.finished['broker-start'] ?? s.finished['broker-stop'] ?? s.finished['broker-reset'];
    errors.set(
      callError ??
        (finished && !finished.ok && !finished.cancelled && finished.error ? finished.error : null),
    );

    const sel = selected();
    for (const p of providers) {
      const note = availability.get(p);
      if (!note) continue;
      const d = s.detection;
      const text =
        p === 'external'
          ? 'A cluster you run elsewhere (SASL, TLS).'
          : !d
            ? ''
            : d[p].available
              ? d.recommended === p
                ? 'Recommended here.'
                : 'Available.'
              : `Not available: ${d[p].detail}`;
      setText(note, text);
    }
    show(portField, sel !== 'external');
    show(externalSet, sel === 'external');
    show(externalNote, sel === 'external');
    show(saslFields, mechanism.value !== '');
    show(tlsFields, tls.checked);
    const switching = running && b !== null && b.provider !== sel;
    setText(
      switchNote,
      switching
        ? `The ${PROVIDER_NAMES[b.provider]} broker is running. Stop it first to switch to ${PROVIDER_NAMES[sel]}.`
        : '',
    );
    show(switchNote, switching);
    reset.disabled = sel === 'external' || job !== null;
  }

  return { el, render };
}

// ---- Producer -------------------------------------------------------------------------------

function producerCard(api: AppApi, store: Store, announce: (t: string) => void): Card {
  const badge = stateBadge();
  const numbers = counters(['produced/s', 'produced']);
  const warning = h('p', { class: 'warning', role: 'status' });
  const errors = errorBox(() => primary.focus());
  let callError: unknown = null;
  let pending = false;
  let lastAnnounced = '';

  const rate = h('input', {
    type: 'number',
    min: '1',
    max: '1000000',
    step: '1',
    value: '1',
    inputmode: 'numeric',
  });
  const max = h('input', { type: 'checkbox' });
  max.addEventListener('change', () => (rate.disabled = max.checked));
  const symbols = h('input', {
    type: 'text',
    placeholder: 'AAPL, TSLA, GOOGL, AMZN, MSFT, NVDA',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const seed = h('input', { type: 'number', step: '1', inputmode: 'numeric' });
  const jumps = h('input', { type: 'checkbox' });
  const options = h(
    'details',
    { class: 'options' },
    h('summary', null, 'Options'),
    h(
      'div',
      { class: 'options-body' },
      h(
        'div',
        { class: 'row' },
        field('Trades per second', rate),
        field('As fast as possible (max)', max),
      ),
      field('Symbols', symbols, 'Comma separated; empty = the six defaults.'),
      field('Seed', seed, 'A whole number makes the trades reproducible; empty = random.'),
      field('Price jumps (Merton)', jumps),
    ),
  );

  const primary = h('button', { type: 'button', class: 'primary' }, 'Start producer');
  primary.addEventListener('click', () => void (store.state.producer ? stop() : start()));

  async function start() {
    const r = max.checked ? 'max' : Number(rate.value);
    if (r !== 'max' && (!Number.isFinite(r) || r < 1 || r > 1_000_000)) {
      callError = new ServiceError(
        'invalid-argument',
        'The rate must be from 1 to 1,000,000 trades per second, or max.',
      );
      options.open = true;
      render(store.state);
      return;
    }
    const syms = fmt.list(symbols.value);
    const seedText = seed.value.trim();
    if (seedText && !Number.isInteger(Number(seedText))) {
      callError = new ServiceError('invalid-argument', 'The seed must be a whole number.');
      render(store.state);
      return;
    }
    await run(() =>
      api.call('producer.start', {
        rate: r,
        jumps: jumps.checked,
        ...(syms.length ? { symbols: syms } : {}),
        ...(seedText ? { seed: Number(seedText) } : {}),
      }),
    );
  }
  const stop = () => run(() => api.call('producer.stop', {}));

  async function run(work: () => Promise<unknown>) {
    callError = null;
    pending = true;
    render(store.state);
    try {
      await work();
    } catch (err) {
      callError = err;
    } finally {
      pending = false;
      render(store.state);
    }
  }

  // -- the source: the simulator, or a file of recorded trades (replay, issue 11)
  const sourceName = uid('source');
  const sourceLegend = h('legend', { id: uid('source-legend') }, 'Trades from');
  const simulatorRadio = h('input', {
    type: 'radio',
    name: sourceName,
    value: 'simulator',
    id: uid('src'),
    checked: true,
  });
  const fileRadio = h('input', { type: 'radio', name: sourceName, value: 'file', id: uid('src') });
  let sourceTouched = false;
  for (const r of [simulatorRadio, fileRadio]) {
    r.addEventListener('change', () => {
      sourceTouched = true;
      render(store.state);
    });
  }
  const sourceSet = h(
    'fieldset',
    { class: 'radios horizontal', role: 'radiogroup', 'aria-labelledby': sourceLegend.id },
    sourceLegend,
    h(
      'div',
      { class: 'field inline' },
      simulatorRadio,
      h('label', { for: simulatorRadio.id }, 'Simulator'),
    ),
    h('div', { class: 'field inline' }, fileRadio, h('label', { for: fileRadio.id }, 'File')),
  );
  const replay = replayPanel(api, store);
  const simulatorPart = h(
    'div',
    { class: 'source-part' },
    h('p', { class: 'card-detail muted' }, 'Simulated trades into the topic stock_prices.'),
    h('div', { class: 'actions' }, primary),
    numbers.el,
    warning,
    errors.el,
    options,
  );

  const el = card('producer', 'Producer', badge.el, sourceSet, simulatorPart, replay.el);

  function render(s: AppState) {
    const replaying = store.running('replay') !== null;
    // A replay running when the page (re)connects shows the File part, unless chosen otherwise.
    if (!sourceTouched && replaying) fileRadio.checked = true;
    const fromFile = fileRadio.checked;
    show(simulatorPart, !fromFile);
    show(replay.el, fromFile);
    replay.render(s);
    const running = s.producer !== null;
    const stats = s.producer?.stats ?? null;
    const state = running ? (stats?.state ?? 'connecting') : 'stopped';
    const words = fromFile ? replay.words() : producerStateWords(state);
    badge.set(fromFile ? replay.state() : state, words);
    if (words !== lastAnnounced) {
      lastAnnounced = words;
      announce(`${fromFile ? 'Replay' : 'Producer'} ${words}`);
    }
    setText(primary, running ? 'Stop producer' : 'Start producer');
    primary.disabled = pending || stats?.state === 'stopping';
    const last = stats ?? s.lastStats.producer;
    numbers.set('produced/s', running ? fmt.rate(stats?.rate ?? 0) : '—');
    numbers.set('produced', fmt.count(last?.produced ?? null));
    setText(warning, stats?.lastError ? `Last problem: ${stats.lastError}` : '');
    show(warning, Boolean(stats?.lastError));
    const f = s.finished.producer;
    errors.set(callError ?? (f && !f.ok && !f.cancelled ? f.error : null));
    for (const input of [symbols, seed, jumps, max]) input.disabled = running;
    rate.disabled = running || max.checked;
  }

  return { el, render };
}

// ---- Replay (the producer card's File part) -------------------------------------------------

const SPEEDS = [
  { value: '1', label: '1× (recorded pace)' },
  { value: '10', label: '10×' },
  { value: '60', label: '60× (a minute a second)' },
  { value: 'max', label: 'As fast as possible (max)' },
];

/** The header an upload's name travels in: letters, digits, dots, underscores, hyphens. */
export function uploadName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(-200);
  return /^[A-Za-z0-9_-]/.test(clean) ? clean : `f${clean}`.slice(0, 200);
}

/** Sends a file to the edge server (POST /api/uploads) with upload progress; resolves its grant. */
function uploadFile(
  file: File,
  onProgress: (sent: number, total: number) => void,
): { done: Promise<string>; abort(): void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<string>((resolve, reject) => {
    xhr.open('POST', '/api/uploads');
    xhr.setRequestHeader('X-File-Name', uploadName(file.name));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.total || file.size));
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) {
        try {
          const body = JSON.parse(xhr.responseText) as { grant?: unknown };
          if (typeof body.grant === 'string') {
            resolve(body.grant);
            return;
          }
        } catch {
          // answered below
        }
      }
      const code = xhr.status === 413 ? 'invalid-argument' : 'internal';
      reject(new ServiceError(code, xhr.responseText.trim() || `upload failed (${xhr.status})`));
    });
    xhr.addEventListener('error', () =>
      reject(new ServiceError('internal', 'The upload failed: the server could not be reached.')),
    );
    xhr.addEventListener('abort', () =>
      reject(new ServiceError('cancelled', 'The upload was cancelled.')),
    );
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

const REPLAY_WORDS: Record<string, string> = {
  scanning: 'reading the file…',
  sorting: 'sorting the file…',
  replaying: 'replaying',
  paused: 'paused',
  'waiting-for-broker': 'waiting for the broker…',
  finishing: 'finishing…',
};

function replayPanel(
  api: AppApi,
  store: Store,
): { el: HTMLElement; render(s: AppState): void; state(): string; words(): string } {
  const bridge = desktopBridge();
  const numbers = counters(['rows sent', 'replayed clock', 'replay rate', 'time left', 'bad rows']);
  const errors = errorBox(() => primary.focus());
  const status = h('p', { class: 'card-detail', role: 'status' });
  const badRows = h('ul', { class: 'bad-rows muted' });
  let callError: unknown = null;
  let pending = false;
  let uploading: { abort(): void } | null = null;
  let uploadText = '';

  // -- the file: an open dialog in the desktop app, an upload in a browser
  let chosen: { grant: string; path: string } | null = null;
  const chosenText = h('span', { class: 'hint', id: uid('chosen') }, 'No file chosen.');
  const input = h('input', {
    type: 'file',
    accept: '.csv,.parquet,.jsonl,.json,text/csv',
    'aria-describedby': chosenText.id,
  });
  const chooseButton = h(
    'button',
    { type: 'button', 'aria-describedby': chosenText.id },
    'Choose file…',
  );
  chooseButton.addEventListener('click', () => {
    if (!bridge) return;
    void bridge.chooseReplayFile().then(
      (picked) => {
        if (picked) {
          chosen = picked;
          setText(chosenText, picked.path);
        }
        render(store.state);
      },
      (err: unknown) => {
        callError = err;
        render(store.state);
      },
    );
  });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    setText(chosenText, file ? `${file.name} (${fmt.bytes(file.size)})` : 'No file chosen.');
    render(store.state);
  });
  const fileField = bridge
    ? h('div', { class: 'field' }, h('div', { class: 'actions' }, chooseButton, chosenText))
    : field('File to replay', input, chosenText);

  const speed = h(
    'select',
    null,
    ...SPEEDS.map((o) => h('option', { value: o.value, selected: o.value === '1' }, o.label)),
  );
  const symbols = h('input', {
    type: 'text',
    placeholder: 'all symbols in the file',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const shift = h('input', { type: 'checkbox' });
  const loop = h('input', { type: 'checkbox' });

  const primary = h('button', { type: 'button', class: 'primary' }, 'Start replay');
  const pauseButton = h('button', { type: 'button', hidden: true }, 'Pause');
  const cancelButton = h('button', { type: 'button', hidden: true }, 'Cancel');
  primary.addEventListener('click', () => void start());
  pauseButton.addEventListener('click', () => {
    const job = store.running('replay');
    if (!job) return;
    const paused = store.state.replay?.progress.phase === 'paused';
    void run(() => api.call(paused ? 'replay.resume' : 'replay.pause', { jobId: job.id }));
  });
  cancelButton.addEventListener('click', () => {
    if (uploading) {
      uploading.abort();
      return;
    }
    const job = store.running('replay');
    if (job) void run(() => api.call('job.cancel', { jobId: job.id }));
  });

  async function start() {
    const syms = fmt.list(symbols.value).map((x) => x.toUpperCase());
    const file = input.files?.[0] ?? null;
    if (bridge ? !chosen : !file) {
      callError = new ServiceError('invalid-argument', 'Choose a CSV or Parquet file first.');
      render(store.state);
      return;
    }
    await run(async () => {
      let grant = chosen?.grant ?? '';
      if (!bridge && file) {
        const upload = uploadFile(file, (sent, total) => {
          uploadText = `Uploading ${file.name}: ${fmt.bytes(sent)} of ${fmt.bytes(total)} (${
            total > 0 ? Math.floor((sent / total) * 100) : 0
          }%)`;
          render(store.state);
        });
        uploading = upload;
        uploadText = `Uploading ${file.name}…`;
        render(store.state);
        try {
          grant = await upload.done;
        } finally {
          uploading = null;
          uploadText = '';
        }
      }
      await api.call('replay.start', {
        source: { kind: 'grant', grant },
        speed: speed.value === 'max' ? 'max' : Number(speed.value),
        shiftToNow: shift.checked,
        loop: loop.checked,
        ...(syms.length ? { symbols: syms } : {}),
      });
    });
  }

  async function run(work: () => Promise<unknown>) {
    callError = null;
    pending = true;
    render(store.state);
    try {
      await work();
    } catch (err) {
      if (!(err instanceof ServiceError && err.code === 'cancelled')) callError = err;
    } finally {
      pending = false;
      render(store.state);
    }
  }

  const el = h(
    'div',
    { class: 'source-part', hidden: true },
    h(
      'p',
      { class: 'card-detail muted' },
      bridge
        ? 'Recorded trades from a CSV or Parquet file into stock_prices, in timestamp order.'
        : 'Recorded trades from a CSV or Parquet file (uploaded to this server) into stock_prices, in timestamp order.',
    ),
    fileField,
    h(
      'div',
      { class: 'row' },
      field('Speed', speed),
      field('Symbols', symbols, 'Comma separated; empty = every symbol in the file.'),
    ),
    h(
      'div',
      { class: 'row' },
      field('Shift to now', shift, 'The first trade is stamped now.'),
      field('Loop', loop, 'Start again at the end.'),
    ),
    h('div', { class: 'actions' }, primary, pauseButton, cancelButton),
    status,
    numbers.el,
    badRows,
    errors.el,
  );

  function current(): string {
    if (uploading) return 'starting';
    const job = store.running('replay');
    if (!job) return 'stopped';
    const phase = store.state.replay?.jobId === job.id ? store.state.replay.progress.phase : null;
    return phase ?? 'starting';
  }

  function render(s: AppState) {
    const job = store.running('replay');
    const running = job !== null;
    const progress = s.replay?.progress ?? null;
    const paused = running && progress?.phase === 'paused';
    primary.disabled = pending || running || uploading !== null;
    show(primary, !running);
    show(pauseButton, running);
    setText(pauseButton, paused ? 'Resume' : 'Pause');
    pauseButton.disabled = pending || !progress;
    show(cancelButton, running || uploading !== null);
    for (const c of [speed, symbols, shift, loop, input, chooseButton]) {
      c.disabled = running || uploading !== null;
    }

    const f = s.finished.replay;
    const result =
      !running && f?.ok && f.result && typeof f.result === 'object'
        ? (f.result as { rowsSent?: number; rowsTotal?: number; badRows?: number })
        : null;
    const sent = result?.rowsSent ?? progress?.rowsSent ?? null;
    const total = result?.rowsTotal ?? progress?.rowsTotal ?? null;
    numbers.set(
      'rows sent',
      sent === null
        ? '—'
        : total === null
          ? fmt.count(sent)
          : `${fmt.count(sent)} of ${fmt.count(total)}`,
    );
    const at = progress?.replayedAt ? Date.parse(progress.replayedAt) : NaN;
    numbers.set('replayed clock', Number.isFinite(at) ? fmt.utcDateTime(at) : '—');
    numbers.set('replay rate', running && progress ? fmt.rate(progress.rowsPerSec) : '—');
    numbers.set(
      'time left',
      running && progress?.etaMs !== null && progress?.etaMs !== undefined
        ? fmt.duration(progress.etaMs)
        : '—',
    );
    numbers.set('bad rows', fmt.count(result?.badRows ?? progress?.badRows ?? null));
    const recent = progress?.recentBadRows ?? [];
    replace(
      badRows,
      ...recent
        .slice(-5)
        .map((b) => h('li', null, `${b.unit === 'line' ? 'Line' : 'Row'} ${b.where}: ${b.reason}`)),
    );
    show(badRows, recent.length > 0);

    let line = '';
    if (uploading) line = uploadText;
    else if (running)
      line = `Replay ${REPLAY_WORDS[current()] ?? current()}${progress && progress.pass > 1 ? `, pass ${progress.pass}` : ''}.`;
    else if (f?.ok && result)
      line = `Replay finished: ${fmt.count(result.rowsSent ?? 0)} trades sent.`;
    else if (f?.cancelled) line = 'Replay cancelled.';
    setText(status, line);
    show(status, line !== '');
    errors.set(callError ?? (f && !f.ok && !f.cancelled ? f.error : null));
  }

  return {
    el,
    render,
    state: () => {
      const c = current();
      return c === 'replaying'
        ? 'running'
        : c === 'paused'
          ? 'stopping'
          : c === 'stopped'
            ? 'stopped'
            : 'starting';
    },
    words: () => {
      const c = current();
      return c === 'starting' ? 'starting…' : (REPLAY_WORDS[c] ?? c);
    },
  };
}

// ---- Enrichment -----------------------------------------------------------------------------

function enricherCard(api: AppApi, store: Store, announce: (t: string) => void): Card {
  const badge = stateBadge();
  const numbers = counters([
    'enriched/s',
    'consumer lag',
    'rows stored',
    'dead letters',
    'late trades',
    'lost to retention',
  ]);
  const warning = h('p', { class: 'warning', role: 'status' });
  const errors = errorBox(() => primary.focus());
  let callError: unknown = null;
  let pending = false;
  let lastAnnounced = '';

  const key = h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const keyState = h('span', { class: 'hint' });
  const saveKey = h('button', { type: 'button' }, 'Save key');
  const removeKey = h('button', { type: 'button', hidden: true }, 'Remove key');
  const keyStatus = h('span', { class: 'hint', role: 'status' });
  saveKey.addEventListener('click', () => {
    const value = key.value.trim();
    if (!value) {
      setText(keyStatus, 'Enter a key first.');
      key.focus();
      return;
    }
    void updateKey(value);
  });
  removeKey.addEventListener('click', () => void updateKey(null));
  async function updateKey(value: string | null) {
    saveKey.disabled = removeKey.disabled = true;
    setText(keyStatus, 'Saving…');
    try {
      const settings = await api.call('settings.update', { weatherApiKey: value });
      store.update((s) => (s.settings = settings));
      key.value = '';
      setText(keyStatus, value ? 'Key saved. It is used from the next start.' : 'Key removed.');
    } catch (err) {
      setText(keyStatus, `Could not save: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      saveKey.disabled = removeKey.disabled = false;
    }
  }

  const options = h(
    'details',
    { class: 'options' },
    h('summary', null, 'Options'),
    h(
      'div',
      { class: 'options-body' },
      field('OpenWeatherMap key', key, keyState),
      h('div', { class: 'actions' }, saveKey, removeKey, keyStatus),
    ),
  );

  const primary = h('button', { type: 'button', class: 'primary' }, 'Start enrichment');
  primary.addEventListener('click', () => void (store.state.enricher ? stop() : start()));
  const start = () => run(() => api.call('enricher.start', {}));
  const stop = () => run(() => api.call('enricher.stop', { drain: false }));
  async function run(work: () => Promise<unknown>) {
    callError = null;
    pending = true;
    render(store.state);
    try {
      await work();
    } catch (err) {
      callError = err;
    } finally {
      pending = false;
      render(store.state);
    }
  }

  const group = h('p', { class: 'card-detail muted' });
  const el = card(
    'enrichment',
    'Enrichment',
    badge.el,
    group,
    h('div', { class: 'actions' }, primary),
    numbers.el,
    warning,
    errors.el,
    options,
  );

  function render(s: AppState) {
    const running = s.enricher !== null;
    const stats = s.enricher?.stats ?? null;
    const state = running ? (stats?.state ?? 'connecting') : 'stopped';
    const words = enricherStateWords(state);
    badge.set(state, words);
    if (words !== lastAnnounced) {
      lastAnnounced = words;
      announce(`Enrichment ${words}`);
    }
    setText(primary, running ? 'Stop enrichment' : 'Start enrichment');
    primary.disabled = pending || stats?.state === 'stopping';
    const last = stats ?? s.lastStats.enricher;
    setText(
      group,
      last
        ? `Volatility and context for every trade → stock_prices_enriched and the database. Consumer group ${last.groupId}.`
        : 'Volatility and context for every trade → stock_prices_enriched and the database.',
    );
    numbers.set('enriched/s', running ? fmt.rate(stats?.rate ?? 0) : '—');
    numbers.set('consumer lag', running ? fmt.count(stats?.lag ?? null) : '—');
    numbers.set('rows stored', fmt.count(last?.rowsStored ?? null));
    numbers.set('dead letters', fmt.count(last?.deadLetters ?? null));
    numbers.set('late trades', fmt.count(last?.late ?? null));
    numbers.set('lost to retention', fmt.count(last?.lostToRetention ?? null));
    setText(warning, stats?.lastError ? `Last problem: ${stats.lastError}` : '');
    show(warning, Boolean(stats?.lastError));
    const f = s.finished.enricher;
    errors.set(callError ?? (f && !f.ok && !f.cancelled ? f.error : null));
    const keySet = s.settings?.weather.apiKeySet ?? false;
    setText(
      keyState,
      keySet
        ? 'Key saved — type a new one to replace it.'
        : 'Optional: adds the weather at each exchange. Write-only; never shown again.',
    );
    show(removeKey, keySet);
  }

  return { el, render };
}
