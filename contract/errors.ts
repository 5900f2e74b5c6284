import { z } from 'zod';

/**
 * Every error code any shell can see, in one enum: a view picks its wording or its button from
 * the code, and shows the message (which says what happened and what to do, in words that fit
 * every shell — no CLI flags, no UI buttons).
 */
export const ErrorCodeSchema = z.enum([
  // the call itself
  'invalid-command',
  'invalid-argument',
  'forbidden',
  'not-found',
  'conflict',
  'cancelled',
  'internal',
  // the broker and its providers
  'broker-unavailable',
  'docker-not-installed',
  'docker-engine-down',
  'docker-permission',
  'compose-missing',
  'port-in-use',
  'image-unavailable',
  'health-timeout',
  'java-missing',
  'maven-missing',
  'fetch-failed',
  'auth-failed',
  'unreachable',
  'tls-failed',
  'not-configured',
  'broker-failed',
  // topics and groups
  'topic-exists',
  'unknown-topic',
  // saved views: the name is taken (save without replace, rename onto it)
  'view-exists',
  // settings and files
  'settings-invalid',
  // export
  'db-not-found',
  'db-error',
  'unwritable',
  'disk-full',
  'io',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** The one error shape every shell receives. */
export const ServiceErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  /** Extra lines for a person, e.g. a broker's log tail on a health timeout. */
  detail: z.string().optional(),
});
export type ServiceErrorData = z.infer<typeof ServiceErrorSchema>;
