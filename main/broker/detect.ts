import type { BrokerDetection } from '../../contract/service.js';
import { DockerCli } from './docker-cli.js';
import { run } from './process-util.js';

/** How long detection may take per provider: it runs when a view opens. */
const DETECT_TIMEOUT_MS = 5000;

/**
 * Which local providers can run here: Docker where the engine answers (the default the
 * design card names), else the built-in JVM broker where Java 17+ is installed.
 */
export async function detectProviders(env: NodeJS.ProcessEnv): Promise<BrokerDetection> {
  const [docker, jvm] = await Promise.all([detectDocker(env), detectJava(env)]);
  return { docker, jvm, recommended: docker.available || !jvm.available ? 'docker' : 'jvm' };
}

async function detectDocker(env: NodeJS.ProcessEnv): Promise<BrokerDetection['docker']> {
  const signal = AbortSignal.timeout(DETECT_TIMEOUT_MS);
  try {
    const version = await new DockerCli(env).ensureEngine(signal);
    return { available: true, detail: `Docker engine ${version}` };
  } catch (err) {
    return { available: false, detail: (err as Error).message };
  }
}

async function detectJava(env: NodeJS.ProcessEnv): Promise<BrokerDetection['jvm']> {
  const res = await run('java', ['-version'], { timeoutMs: DETECT_TIMEOUT_MS, env });
  if (res.spawnError) return { available: false, detail: 'Java is not installed' };
  const m = /version "(\d+)[^"]*"/.exec(res.stderr + res.stdout);
  const major = m ? Number(m[1]) : 0;
  if (major < 17) {
    return { available: false, detail: `Java 17 or newer is needed; found ${m?.[1] ?? 'unknown'}` };
  }
  return { available: true, detail: `Java ${m?.[1] ?? major}` };
}
