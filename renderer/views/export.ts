import { ServiceError } from '../../contract/rpc.js';
import { ExportJobResultSchema, type ExportStart } from '../../contract/service.js';
import type { AppApi } from '../api-client.js';
import type { DesktopBridge } from '../desktop-bridge.js';
import { field, h, setText, show, uid } from '../dom.js';
import * as fmt from '../format.js';
import type { AppState, Store } from '../store.js';
import type { Screen } from './frame.js';
import { errorBox } from './parts.js';

/**
 * The Export screen: a form (format, symbols, From–To in UTC, CSV options, destination), then
 * progress (rows of total, rate, time left, Cancel), then the file: "Show in folder" in the
 * desktop app, a download in the browser.
 */
export function createExport(
  api: AppApi,
  store: Store,
  bridge: DesktopBridge | null,
  announce: (text: string) => void,
): Screen {
  let callError: unknown = null;
  let pending = false;
  /** The export this window started last, and the file it chose for it. */
  let mine: { jobId: string; grant: string | null } | null = null;
  let chosen: { grant: string; path: string } | null = null;
  const downloaded = new Set<string>();
  let announcedJob = '';

  // ---- the form ------------------------------------------------------------------------------
  const formatName = uid('format');
  const csv = h('input', {
    type: 'radio',
    name: formatName,
    value: 'csv',
    id: uid('fmt'),
    checked: true,
  });
  const parquet = h('input', { type: 'radio', name: formatName, value: 'parquet', id: uid('fmt') });
  const formatSet = h(
    'fieldset',
    { class: 'radios horizontal' },
    h('legend', null, 'Format'),
    h('div', { class: 'field inline' }, csv, h('label', { for: csv.id }, 'CSV')),
    h('div', { class: 'field inline' }, parquet, h('label', { for: parquet.id }, 'Parquet')),
  );
  const symbols = h('input', {
    type: 'text',
    placeholder: 'All symbols',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const from = h('input', { type: 'datetime-local', step: '1' });
  const to = h('input', { type: 'datetime-local', step: '1' });
  const utc = () => h('span', { class: 'unit', 'aria-hidden': 'true' }, 'UTC');
  const rangeField = (label: string, input: HTMLInputElement) => {
    input.id = uid('range');
    return h(
      'div',
      { class: 'field' },
      h('label', { for: input.id }, `${label} (UTC)`),
      h('div', { class: 'with-unit' }, input, utc()),
    );
  };
  const bom = h('input', { type: 'checkbox' });
  const crlf = h('input', { type: 'checkbox' });
  const csvSet = h(
    'fieldset',
    null,
    h('legend', null, 'CSV options'),
    field('Byte order mark, for Excel (BOM)', bom),
    field('Windows line ends (CRLF)', crlf),
  );
  const choose = h('button', { type: 'button' }, 'Choose file…');
  const chosenText = h('span', { class: 'path' });
  const destination = bridge
    ? h(
        'div',
        { class: 'field' },
        h('span', { class: 'label', id: 'dest-label' }, 'Destination'),
        h(
          'div',
          { class: 'actions', role: 'group', 'aria-labelledby': 'dest-label' },
          choose,
          chosenText,
        ),
      )
    : h(
        'div',
        { class: 'field' },
        h('span', { class: 'label' }, 'Destination'),
        h('p', { class: 'hint' }, 'Your browser downloads the file when it is ready.'),
      );
  choose.addEventListener('click', () => void chooseFile());

  const exportButton = h('button', { type: 'submit', class: 'primary' }, 'Export');
  const errors = errorBox(() => exportButton.focus());
  const form = h(
    'form',
    { class: 'card export-form', 'aria-labelledby': 'export-form-title', novalidate: true },
    h('h2', { id: 'export-form-title' }, 'What to export'),
    formatSet,
    field('Symbols', symbols, 'Comma separated; empty = all symbols.'),
    h('div', { class: 'row' }, rangeField('From', from), rangeField('To', to)),
    h(
      'p',
      { class: 'hint' },
      'Times are UTC. From is included, To is not; leave either empty for no limit.',
    ),
    csvSet,
    destination,
    errors.el,
    h('div', { class: 'actions' }, exportButton),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void startExport();
  });
  for (const r of [csv, parquet]) r.addEventListener('change', () => render(store.state));

  // ---- progress and result -------------------------------------------------------------------
  const bar = h('progress', { max: '1', 'aria-label': 'Export progress' });
  const progressText = h('p', { class: 'num progress-text' });
  const cancel = h('button', { type: 'button' }, 'Cancel');
  cancel.addEventListener('click', () => {
    const job = store.running('export');
    if (job) void api.call('job.cancel', { jobId: job.id }).catch((err) => (callError = err));
  });
  const progressBox = h(
    'section',
    { class: 'card', 'aria-labelledby': 'export-progress-title', hidden: true },
    h('h2', { id: 'export-progress-title' }, 'Exporting…'),
    bar,
    progressText,
    h('div', { class: 'actions' }, cancel),
  );

  const resultTitle = h('h2', { id: 'export-result-title' }, 'Export finished');
  const resultText = h('p');
  const resultFile = h('p', { class: 'path' });
  const showInFolder = h('button', { type: 'button', class: 'primary' }, 'Show in folder');
  const downloadLink = h('a', { class: 'button-link' });
  const resultBox = h(
    'section',
    { class: 'card result', 'aria-labelledby': 'export-result-title', hidden: true },
    resultTitle,
    resultText,
    resultFile,
    h('div', { class: 'actions' }, showInFolder, downloadLink),
  );
  showInFolder.addEventListener('click', () => {
    if (bridge && mine?.grant) void bridge.showInFolder(mine.grant).catch(() => undefined);
  });

  const element = h(
    'div',
    { class: 'screen', 'aria-labelledby': 'export-title' },
    h('h1', { id: 'export-title', class: 'screen-title' }, 'Export'),
    h(
      'p',
      { class: 'screen-intro' },
      'The enriched trades stored by the enrichment, in timestamp order, as CSV or Parquet.',
    ),
    h(
      'div',
      { class: 'export-layout' },
      form,
      h('div', { class: 'export-side' }, progressBox, resultBox),
    ),
  );

  function format(): 'csv' | 'parquet' {
    return parquet.checked ? 'parquet' : 'csv';
  }

  function suggestedName(): string {
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    return `enriched-trades-${stamp}.${format()}`;
  }

  async function chooseFile(): Promise<boolean> {
    if (!bridge) return false;
    const picked = await bridge.chooseExportFile(suggestedName(), format());
    if (picked) chosen = picked;
    render(store.state);
    return picked !== null;
  }

  async function startExport() {
    callError = null;
    const fromIso = fmt.localInputAsUtcIso(from.value);
    const toIso = fmt.localInputAsUtcIso(to.value);
    if ((from.value && !fromIso) || (to.value && !toIso)) {
      callError = new ServiceError('invalid-argument', 'From and To must be dates and times.');
    } else if (fromIso && toIso && fromIso >= toIso) {
      callError = new ServiceError('invalid-argument', 'From must be before To.');
    }
    if (callError) {
      render(store.state);
      return;
    }
    if (bridge && !chosen && !(await chooseFile())) return;
    const syms = fmt.list(symbols.value);
    const request: ExportStart = {
      format: format(),
      ...(syms.length ? { symbols: syms } : {}),
      ...(fromIso ? { from: fromIso } : {}),
      ...(toIso ? { to: toIso } : {}),
      ...(format() === 'csv' ? { bom: bom.checked, crlf: crlf.checked } : {}),
      destination: chosen ? { kind: 'grant', grant: chosen.grant } : { kind: 'download' },
    };
    pending = true;
    render(store.state);
    try {
      const { jobId } = await api.call('export.start', request);
      mine = { jobId, grant: chosen?.grant ?? null };
      chosen = null; // a grant names one file for one export; choose again for the next
    } catch (err) {
      callError = err;
    } finally {
      pending = false;
      render(store.state);
    }
  }

  function render(s: AppState) {
    const running = store.running('export');
    const isCsv = format() === 'csv';
    csvSet.disabled = !isCsv;
    exportButton.disabled = pending || running !== null;
    setText(chosenText, chosen ? chosen.path : 'No file chosen yet');
    setText(choose, chosen ? 'Choose another file…' : 'Choose file…');

    // progress
    show(progressBox, running !== null);
    if (running) {
      const p = s.exportProgress.get(running.id);
      if (!p || p.phase === 'counting') {
        bar.removeAttribute('value'); // indeterminate
        setText(progressText, 'Counting the rows…');
      } else {
        bar.max = Math.max(1, p.rowsTotal);
        bar.value = p.rowsDone;
        const parts = [`${fmt.count(p.rowsDone)} of ${fmt.count(p.rowsTotal)} rows`];
        if (p.rowsPerSec > 0) parts.push(`${fmt.count(p.rowsPerSec)} rows/s`);
        if (p.etaMs !== null) parts.push(`about ${fmt.duration(p.etaMs)} left`);
        if (p.phase === 'finishing') parts.push('finishing the file…');
        setText(progressText, parts.join(' · '));
      }
      if (announcedJob !== running.id) {
        announcedJob = running.id;
        announce('Export started');
      }
    }

    // the end: the last finished export (this window's, or another's if none)
    const f = s.finished.export;
    const relevant = f && !running && (mine === null || f.id === mine.jobId) ? f : null;
    errors.set(
      callError ?? (relevant && !relevant.ok && !relevant.cancelled ? relevant.error : null),
    );
    const parsed = relevant?.ok ? ExportJobResultSchema.safeParse(relevant.result) : null;
    const result = parsed?.success ? parsed.data : null;
    show(resultBox, relevant !== null && (result !== null || relevant.cancelled));
    if (relevant?.cancelled) {
      setText(resultTitle, 'Export cancelled');
      setText(resultText, 'No file was written.');
      setText(resultFile, '');
      show(showInFolder, false);
      show(downloadLink, false);
    } else if (relevant && result) {
      setText(resultTitle, 'Export finished');
      setText(
        resultText,
        result.empty
          ? '0 rows matched: the file holds the header only.'
          : `${fmt.count(result.rows)} rows, ${fmt.bytes(result.bytes)}, in ${fmt.duration(result.elapsedMs)}.`,
      );
      setText(resultFile, result.path ?? result.fileName);
      const ours = mine?.jobId === relevant.id;
      show(showInFolder, Boolean(bridge && ours && mine?.grant));
      if (result.downloadId && ours) {
        const href = `/api/downloads/${encodeURIComponent(result.downloadId)}`;
        downloadLink.href = href;
        downloadLink.download = result.fileName;
        setText(downloadLink, `Download ${result.fileName}`);
        show(downloadLink, true);
        if (!downloaded.has(relevant.id)) {
          downloaded.add(relevant.id);
          downloadLink.click();
          announce(`Export finished: ${fmt.count(result.rows)} rows; the download started`);
        }
      } else {
        show(downloadLink, false);
      }
    }
  }

  store.subscribe(render);
  return { id: 'export', title: 'Export', element };
}
