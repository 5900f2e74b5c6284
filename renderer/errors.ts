import { ServiceError } from '../contract/rpc.js';
import { ServiceErrorSchema, type ErrorCode, type ServiceErrorData } from '../contract/errors.js';

/**
 * What a person sees for an error: a short title in plain words, the service's message (which
 * says what happened and what to do), and the buttons that fix it, chosen by the error's code.
 */

export type FixAction =
  | 'use-jvm'
  | 'use-docker'
  | 'use-external'
  | 'change-port'
  | 'show-log'
  | 'edit-credentials'
  | 'retry';

export interface Explained {
  title: string;
  advice: string;
  actions: { action: FixAction; label: string }[];
  message: string;
  detail?: string | undefined;
}

const TITLES: Partial<
  Record<ErrorCode, { title: string; advice: string; actions?: Explained['actions'] }>
> = {
  'docker-not-installed': {
    title: 'Docker is not installed',
    advice: 'Install Docker Desktop, or use the built-in broker.',
    actions: [{ action: 'use-jvm', label: 'Use the built-in broker' }],
  },
  'docker-engine-down': {
    title: 'Docker is not running',
    advice: 'Start Docker Desktop and try again, or use the built-in broker.',
    actions: [
      { action: 'retry', label: 'Try again' },
      { action: 'use-jvm', label: 'Use the built-in broker' },
    ],
  },
  'docker-permission': {
    title: 'No permission to use Docker',
    advice:
      'Your user may not talk to the Docker engine. Add it to the docker group (then sign in again), or use the built-in broker.',
    actions: [{ action: 'use-jvm', label: 'Use the built-in broker' }],
  },
  'compose-missing': {
    title: 'Docker Compose is missing',
    advice: 'Install Docker Compose (it comes with Docker Desktop), or use the built-in broker.',
    actions: [{ action: 'use-jvm', label: 'Use the built-in broker' }],
  },
  'port-in-use': {
    title: 'The port is taken',
    advice: 'Another program uses this port. Choose another port, or stop that program.',
    actions: [{ action: 'change-port', label: 'Choose another port' }],
  },
  'image-unavailable': {
    title: 'The Kafka image could not be downloaded',
    advice: 'Check the internet connection and try again, or use the built-in broker.',
    actions: [
      { action: 'retry', label: 'Try again' },
      { action: 'use-jvm', label: 'Use the built-in broker' },
    ],
  },
  'health-timeout': {
    title: 'The broker did not become ready in time',
    advice: 'Look at the broker log below for the reason, then try again.',
    actions: [
      { action: 'show-log', label: 'Show the log' },
      { action: 'retry', label: 'Try again' },
    ],
  },
  'java-missing': {
    title: 'Java is not installed',
    advice: 'The built-in broker needs Java 17 or newer. Install it, or use Docker.',
    actions: [{ action: 'use-docker', label: 'Use Docker' }],
  },
  'maven-missing': {
    title: 'Maven is not installed',
    advice: 'The built-in broker fetches Kafka with Maven. Install it, or use Docker.',
    actions: [{ action: 'use-docker', label: 'Use Docker' }],
  },
  'fetch-failed': {
    title: 'Kafka could not be downloaded',
    advice: 'Check the internet connection and try again.',
    actions: [{ action: 'retry', label: 'Try again' }],
  },
  'auth-failed': {
    title: 'Wrong user name or password',
    advice: 'The cluster refused the credentials. Check the user name, password and mechanism.',
    actions: [{ action: 'edit-credentials', label: 'Edit the credentials' }],
  },
  unreachable: {
    title: 'The cluster does not answer',
    advice: 'Check the bootstrap servers, the network and any firewall or VPN, then try again.',
    actions: [{ action: 'retry', label: 'Try again' }],
  },
  'broker-unavailable': {
    title: 'No broker answers',
    advice: 'Start the broker first, or check the connection.',
  },
  'tls-failed': {
    title: 'The secure connection failed',
    advice: 'Check the CA certificate and that the cluster uses TLS on this port.',
    actions: [{ action: 'edit-credentials', label: 'Edit the TLS settings' }],
  },
  'not-configured': {
    title: 'The broker is not set up',
    advice: 'Choose a provider and fill in its settings.',
  },
  'broker-failed': {
    title: 'The broker failed',
    advice: 'Look at the broker log for the reason.',
    actions: [{ action: 'show-log', label: 'Show the log' }],
  },
  'db-not-found': {
    title: 'No data yet',
    advice: 'Nothing has been stored yet. Start the producer and the enrichment first.',
  },
  'db-error': { title: 'The database could not be read', advice: 'Try again in a moment.' },
  unwritable: {
    title: 'The file could not be written',
    advice: 'Choose another folder or file name.',
  },
  'disk-full': { title: 'The disk is full', advice: 'Free some space, or choose another disk.' },
  io: { title: 'Reading or writing a file failed', advice: 'Try again.' },
  'invalid-argument': { title: 'Please check the form', advice: '' },
  conflict: { title: 'Already in progress', advice: 'Wait for it to finish, or cancel it.' },
  'settings-invalid': {
    title: 'The saved settings cannot be read',
    advice: 'Choose the broker settings again and start the broker to save them.',
  },
  forbidden: { title: 'Not allowed', advice: '' },
  'topic-exists': { title: 'The topic exists already', advice: '' },
  'unknown-topic': { title: 'No such topic', advice: '' },
  'view-exists': { title: 'A view of that name exists', advice: '' },
  'not-found': { title: 'Not found', advice: '' },
};

export function asServiceError(err: unknown): ServiceErrorData {
  if (err instanceof ServiceError)
    return { code: err.code, message: err.message, detail: err.detail };
  // a job's error, as a job-finished event carries it
  const parsed = ServiceErrorSchema.safeParse(err);
  if (parsed.success) return parsed.data;
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export function explain(err: unknown): Explained {
  const e = asServiceError(err);
  const known = TITLES[e.code];
  return {
    title: known?.title ?? (e.code === 'cancelled' ? 'Cancelled' : 'Something went wrong'),
    advice: known?.advice ?? '',
    actions: known?.actions ?? [],
    message: e.message,
    detail: e.detail,
  };
}
