import { z } from 'zod';

export const BrokerProviderNameSchema = z.enum(['docker', 'jvm', 'external']);
export type BrokerProviderName = z.infer<typeof BrokerProviderNameSchema>;

const hostPort = z
  .string()
  .regex(/^[^\s:,]+:\d{1,5}$/, 'expected HOST:PORT')
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port > 0 && port < 65536;
  }, 'port must be 1-65535');

export const BrokerListSchema = z.array(hostPort).min(1, 'at least one bootstrap server');

export const SaslSettingsSchema = z.object({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: z.string(),
});

export const TlsSettingsSchema = z.object({
  enabled: z.boolean().default(false),
  /** PEM file with the CA certificate(s); absent means the system CAs. */
  caFile: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
});

export const JvmBrokerSettingsSchema = z.object({
  port: z.number().int().min(1).max(65535).default(9092),
  controllerPort: z.number().int().min(1).max(65535).optional(),
  dataDir: z.string().optional(),
});

export const DockerBrokerSettingsSchema = z.object({
  port: z.number().int().min(1).max(65535).default(9092),
  /** Overrides the pinned apache/kafka image, e.g. a locally built one. */
  image: z.string().optional(),
  projectName: z.string().default('volatility-insight'),
  composeFile: z.string().optional(),
});

export const ExternalBrokerSettingsSchema = z.object({
  brokers: BrokerListSchema,
  sasl: SaslSettingsSchema.optional(),
  tls: TlsSettingsSchema.optional(),
});

/** What persists in the settings file and what the CLI reads. */
export const BrokerSettingsSchema = z.object({
  provider: BrokerProviderNameSchema.default('jvm'),
  jvm: JvmBrokerSettingsSchema.default({ port: 9092 }),
  docker: DockerBrokerSettingsSchema.default({ port: 9092, projectName: 'volatility-insight' }),
  external: ExternalBrokerSettingsSchema.optional(),
});
export type BrokerSettings = z.infer<typeof BrokerSettingsSchema>;

export const BrokerStateSchema = z.enum(['stopped', 'starting', 'running', 'unhealthy', 'unknown']);

export const BrokerStatusSchema = z.object({
  provider: BrokerProviderNameSchema,
  state: BrokerStateSchema,
  brokers: z.array(z.string()),
  detail: z.string(),
  clusterBrokers: z
    .array(z.object({ nodeId: z.number(), host: z.string(), port: z.number() }))
    .optional(),
});
export type BrokerStatus = z.infer<typeof BrokerStatusSchema>;

/** Progress while a broker starts or stops: one line a step, for a progress display. */
export const BrokerProgressSchema = z.object({
  provider: BrokerProviderNameSchema,
  step: z.string(),
  elapsedMs: z.number(),
});
export type BrokerProgress = z.infer<typeof BrokerProgressSchema>;
