import { startEdgeServer, type EdgeServer } from '../edge/server.js';
import { intFlag, parseFlags, UsageError, type CliCommand, type CliContext } from './command.js';
import { reportFailure } from './admin-support.js';
import { serviceOptionsFrom } from './session.js';

/** Edge mode's usual port; when it is taken (and --port was not given) a free one is used. */
export const DEFAULT_EDGE_PORT = 8417;

const USAGE = `volatility-insight serve [--port N] [--host ADDR] [--db FILE] [--brokers HOST:PORT[,...]]

  Edge mode: the app in a browser, served by this process until Ctrl-C.
  --host      the address to listen on (default 127.0.0.1, this machine only). Anything else
              is reachable from the network: it prints a warning
  --port      the port (default ${DEFAULT_EDGE_PORT}, or a free one when that is taken)
  --db        the SQLite database (default: the enrich command's, see README)
  --brokers   default: KAFKA_BROKERS, else the saved broker settings
  The printed address carries a per-launch token (?token=...); VI_EDGE_TOKEN sets it for
  scripts. Without the token the server refuses every request.`;

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  db: { type: 'string' },
  brokers: { type: 'string' },
} as const;

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Edge mode: serve the app to a browser (http://127.0.0.1:8417 with a token)',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags(argv, FLAGS, true);
    if (positionals.length > 0) {
      throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    }
    const port = intFlag(values.port, 'port', 0);
    if (port !== undefined && port > 65535) throw new UsageError('--port must be 0-65535');
    const host = values.host ?? '127.0.0.1';
    if (host.trim() === '') throw new UsageError('--host needs an address, e.g. 127.0.0.1');
    const serviceOptions = { env: { ...ctx.env }, ...serviceOptionsFrom(values) };
    const token = ctx.env.VI_EDGE_TOKEN || undefined;

    let server: EdgeServer;
    try {
      try {
        server = await startEdgeServer({
          host,
          port: port ?? DEFAULT_EDGE_PORT,
          ...(token ? { token } : {}),
          serviceOptions,
        });
      } catch (err) {
        if (port !== undefined || !isAddressInUse(err)) throw err;
        ctx.stderr.write(`port ${DEFAULT_EDGE_PORT} is taken; using a free port instead\n`);
        server = await startEdgeServer({
          host,
          port: 0,
          ...(token ? { token } : {}),
          serviceOptions,
        });
      }
    } catch (err) {
      if (isAddressInUse(err)) {
        return reportFailure(
          ctx,
          'serve',
          new Error(
            `port ${port} on ${host} is already in use: choose another --port, or leave it out for a free one`,
          ),
        );
      }
      return reportFailure(ctx, 'serve', err);
    }

    ctx.stdout.write(
      `Volatility Insight is served at\n\n    ${server.url}\n\nOpen that address in a browser (it carries this launch's token). Ctrl-C stops the server.\n`,
    );
    if (server.warning) ctx.stderr.write(`warning: ${server.warning}\n`);

    const stopped = await new Promise<'signal' | string>((resolve) => {
      if (ctx.signal.aborted) resolve('signal');
      ctx.signal.addEventListener('abort', () => resolve('signal'), { once: true });
      server.onServiceExit((reason) => resolve(reason));
    });
    if (stopped !== 'signal') {
      ctx.stderr.write(`volatility-insight serve: the core service stopped: ${stopped}\n`);
    }
    ctx.stderr.write('stopping the server and the running jobs…\n');
    await server.close();
    return stopped === 'signal' ? 0 : 1;
  },
};
