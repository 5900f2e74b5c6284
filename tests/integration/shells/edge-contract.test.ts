// Contract tests through both transports: the edge server's WebSocket (a browser's view) and a
// direct port on the service worker (a shell's own connection, or a desktop view). Every command
// rejects malformed input with the one error shape; shell-only commands are refused to views;
// the commands that need no broker answer with their result schema. No broker is started here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServiceErrorSchema } from '../../../contract/errors.js';
import type { Port } from '../../../contract/rpc.js';
import { COMMANDS, COMMAND_NAMES, type CommandName } from '../../../contract/service.js';
import { startEdgeServer, type EdgeServer } from '../../../main/shells/edge/server.js';
import { startServiceWorker, type ServiceWorker } from '../../../main/start-service-worker.js';
import { isolatedServiceOptions, rawCaller, signIn, tryWebSocket, wsPort } from './edge-support.js';

interface Adapter {
  name: string;
  trusted: boolean;
  downloads: boolean;
  open(): Promise<Port>;
}

const env = isolatedServiceOptions();
let edge: EdgeServer;
let worker: ServiceWorker;
const opened: Port[] = [];

before(async () => {
  [edge, worker] = await Promise.all([
    startEdgeServer({ serviceOptions: env.options }),
    startServiceWorker(env.options),
  ]);
});

after(async () => {
  for (const p of opened) p.close();
  await Promise.all([edge?.close(), worker?.shutdown(10_000)]);
  env.cleanup();
});

const adapters: Adapter[] = [
  {
    name: 'the edge WebSocket',
    trusted: false,
    downloads: true,
    async open() {
      const cookie = await signIn(edge);
      const outcome = await tryWebSocket(edge.origin, { cookie, origin: edge.origin });
      assert.ok(outcome.open, outcome.open ? '' : `${outcome.status} ${outcome.body}`);
      return wsPort(outcome.ws);
    },
  },
  {
    name: 'a worker port (view)',
    trusted: false,
    downloads: false,
    open: async () => worker.connect(false),
  },
  {
    name: 'a worker port (shell)',
    trusted: true,
    downloads: false,
    open: async () => worker.connect(true),
  },
];

/** Commands that need no broker, and whose replies are checked against their result schema. */
const NO_BROKER: CommandName[] = [
  'state.get',
  'settings.get',
  'jobs.list',
  'pipeline.status',
  'broker.detect',
  'views.list',
  'views.export',
];

for (const adapter of adapters) {
  describe(`through ${adapter.name}`, () => {
    let caller: ReturnType<typeof rawCaller>;
    before(async () => {
      const port = await adapter.open();
      opened.push(port);
      caller = rawCaller(port);
    });

    for (const name of COMMAND_NAMES) {
      const refused = COMMANDS[name].access === 'shell' && !adapter.trusted;
      it(`${name}: malformed input gets ${refused ? 'forbidden' : 'invalid-argument'}`, async () => {
        for (const args of [42, 'text', [1, 2]]) {
          const reply = await caller.call(name, args);
          assert.equal(reply.ok, false, `${name} accepted ${JSON.stringify(args)}`);
          if (reply.ok) return;
          const error = ServiceErrorSchema.parse(reply.error);
          assert.equal(error.code, refused ? 'forbidden' : 'invalid-argument');
          assert.ok(error.message.length > 0);
        }
      });
    }

    it('an unknown command gets invalid-command', async () => {
      const reply = await caller.call('no.such.command', {});
      assert.equal(reply.ok, false);
      if (!reply.ok) assert.equal(ServiceErrorSchema.parse(reply.error).code, 'invalid-command');
    });

    it('a frame that is not JSON gets an error frame', async () => {
      const error = caller.nextError();
      caller.sendRaw('{not json');
      const frame = await error;
      assert.equal(ServiceErrorSchema.parse(frame.error).code, 'invalid-command');
    });

    for (const name of NO_BROKER) {
      it(`${name}: the reply matches its result schema`, async () => {
        const reply = await caller.call(name, {});
        assert.ok(reply.ok, reply.ok ? '' : `${reply.error.code}: ${reply.error.message}`);
        const parsed = COMMANDS[name].result.safeParse(reply.result);
        assert.ok(parsed.success, parsed.success ? '' : parsed.error.message);
      });
    }

    it('settings say whether exports are downloads', async () => {
      const reply = await caller.call('settings.get', {});
      assert.ok(reply.ok);
      if (reply.ok) {
        const settings = COMMANDS['settings.get'].result.parse(reply.result);
        assert.equal(settings.downloads, adapter.downloads);
      }
    });
  });
}
