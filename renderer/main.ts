import { z } from 'zod';
import { connect } from './api-client.js';
import { desktopBridge } from './desktop-bridge.js';
import { Store } from './store.js';
import { createCharts } from './views/charts.js';
import { createControls } from './views/controls.js';
import { createExport } from './views/export.js';
import { createFrame } from './views/frame.js';
import { createTopics } from './views/topics.js';

// The CSP forbids eval: zod must not even probe for `new Function`.
z.config({ jitless: true });

const bridge = desktopBridge();
const api = connect(bridge);
const store = new Store();
document.documentElement.dataset.carrier = api.carrier;

let announce: (text: string) => void = () => undefined;
const screens = [
  createControls(api, store, (t) => announce(t)),
  createTopics(api, store, (t) => announce(t)),
  createCharts(api, store, (t) => announce(t)),
  createExport(api, store, bridge, (t) => announce(t)),
];
const frame = createFrame(store, screens, api.carrier, () => location.reload());
announce = frame.announce;
document.body.append(frame.root);
frame.select(location.hash.slice(1) || 'controls');

api.onEvent((event) => store.applyEvent(event));
api.onConnection((connection) => {
  store.update((s) => (s.connection = connection));
  if (connection.state === 'open') void resync();
});

/**
 * On (re)connect: the whole state again (jobs in progress, stats), the broker's state, and the
 * broker detection.
 */
async function resync() {
  try {
    store.applySnapshot(await api.call('state.get', {}));
  } catch (err) {
    console.warn('state.get failed', err);
    return; // the connection dropped again; the next open resyncs
  }
  await checkBroker();
  if (!store.state.detection) {
    try {
      const detection = await api.call('broker.detect', {});
      store.update((s) => (s.detection = detection));
    } catch {
      // detection only picks the default provider; the form still works without it
    }
  }
}

/**
 * The snapshot has the broker's state only once something asked for it: ask (the reply and the
 * `broker-status` event update the store), on (re)connect and then now and then, so a broker
 * started or stopped outside the app, or one that died, is shown as it is.
 */
async function checkBroker() {
  if (store.state.connection.state !== 'open' || store.brokerJob()) return;
  try {
    const status = await api.call('broker.status', {});
    store.update((s) => (s.broker = status));
  } catch {
    // shown as unknown until the next check; broker errors are the cards' to show
  }
}
setInterval(() => void checkBroker(), 15_000);

setInterval(() => store.update((s) => (s.now = Date.now())), 1000);
