/**
 * The environment handed to the programs we start (java, the Kafka broker, mvn, docker, docker
 * compose): only what they need to run, never the whole parent environment, so secrets such as
 * KAFKA_SASL_PASSWORD do not leak into a long-lived broker or a compose project.
 */

/** Kept by exact name (compared upper-case, since Windows names are case-insensitive). */
const KEEP = new Set([
  // Finding programs, the user's home and temp folders, language.
  'PATH',
  'PATHEXT',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LANG',
  'LANGUAGE',
  'TZ',
  'XDG_RUNTIME_DIR', // rootless Docker's socket
  'XDG_CONFIG_HOME',
  'SSH_AUTH_SOCK', // DOCKER_HOST=ssh://…
  // Windows basics: without SYSTEMROOT, sockets and crypto fail in child processes.
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'COMSPEC',
  'USERPROFILE',
  'HOMEDRIVE',
  'HOMEPATH',
  'APPDATA',
  'LOCALAPPDATA',
  'PROGRAMDATA',
  'PROGRAMFILES',
  'PROGRAMFILES(X86)',
  'PROGRAMW6432',
  'NUMBER_OF_PROCESSORS',
  'PROCESSOR_ARCHITECTURE',
  // Java and Maven (the jar fetch).
  'JAVA_HOME',
  'M2_HOME',
  'MAVEN_HOME',
  'MAVEN_OPTS',
  'MAVEN_ARGS',
  // Reaching a remote engine or a repository through a proxy.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  // What docker-compose.yml interpolates.
  'KAFKA_IMAGE',
  'KAFKA_PORT',
]);

/** Kept by prefix: the Docker CLI's and Compose's own settings, locale categories. */
const KEEP_PREFIXES = ['DOCKER_', 'COMPOSE_', 'LC_'];

/** Never passed on, even under a kept prefix (e.g. a CI's DOCKER_PASSWORD). */
const SECRET = /PASS(WORD|WD)?($|_)|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|AUTH(?!_SOCK)/i;

/** A curated copy of `env` (plus `extra`, which is also filtered) for a child process. */
export function childEnv(
  env: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of [...Object.entries(env), ...Object.entries(extra)]) {
    if (value === undefined || !isPassedOn(name)) continue;
    // One spelling per name (Windows has e.g. both "Path" and "PATH" in some shells).
    for (const existing of Object.keys(out)) {
      if (existing !== name && existing.toUpperCase() === name.toUpperCase()) delete out[existing];
    }
    out[name] = value;
  }
  return out;
}

/** Whether a variable of this name is passed to child processes. */
export function isPassedOn(name: string): boolean {
  const upper = name.toUpperCase();
  if (SECRET.test(upper)) return false;
  return KEEP.has(upper) || KEEP_PREFIXES.some((p) => upper.startsWith(p));
}
