import { BrokerError, type BrokerErrorCode } from './provider.js';

type DockerFailureCode = Extract<
  BrokerErrorCode,
  | 'docker-engine-down'
  | 'docker-permission'
  | 'port-in-use'
  | 'image-unavailable'
  | 'compose-missing'
>;

// Checked in order: an unreachable engine and a denied socket explain everything after them.
const PATTERNS: ReadonlyArray<readonly [DockerFailureCode, RegExp]> = [
  [
    'docker-permission',
    /permission denied while trying to connect|dial unix \S+: connect: permission denied|PermissionError\(13/i,
  ],
  [
    'docker-engine-down',
    /cannot connect to the docker daemon|is the docker daemon running|couldn't connect to docker daemon|error while fetching server api version|dial unix .*: connect:|docker_engine.*the system cannot find the file/i,
  ],
  [
    'port-in-use',
    /port is already allocated|address already in use|bind: only one usage of each socket address/i,
  ],
  [
    'image-unavailable',
    /pull access denied|manifest unknown|manifest for .* not found|repository does not exist|failed to resolve reference|no such host|dial tcp|tls handshake timeout|i\/o timeout|error pulling image|failed to pull|unable to find image|no such image|name unknown|server misbehaving|network is unreachable|temporary failure in name resolution|(get|head) "?https?:\/\/[^\s"]*\/v2\//i,
  ],
  ['compose-missing', /'compose' is not a docker command|unknown command: docker compose/i],
];

/** Which known failure the docker / compose CLI's stderr describes, if any. */
export function classifyDockerFailure(stderr: string): DockerFailureCode | undefined {
  for (const [code, pattern] of PATTERNS) {
    if (pattern.test(stderr)) return code;
  }
  return undefined;
}

export interface FailureContext {
  dockerHost?: string | undefined;
  port?: number;
  image?: string;
}

/** A BrokerError whose message says what happened and what to do; stderr goes to `detail`. */
export function dockerFailureError(
  code: DockerFailureCode,
  stderr: string,
  context: FailureContext = {},
): BrokerError {
  const detail = stderr.trim() || undefined;
  switch (code) {
    case 'docker-permission':
      return new BrokerError(
        code,
        'Permission denied on the Docker socket: add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or run with sudo.',
        detail,
      );
    case 'docker-engine-down':
      return new BrokerError(
        code,
        `The Docker engine is not running (DOCKER_HOST=${context.dockerHost ?? 'default'}): start Docker Desktop or the docker service (\`sudo systemctl start docker\`) and retry.`,
        detail,
      );
    case 'port-in-use':
      return portInUseError(context.port, detail);
    case 'image-unavailable': {
      const image = context.image ? ` ${context.image}` : '';
      return new BrokerError(
        code,
        `The Kafka image${image} could not be pulled: we are probably offline or the registry is unreachable. Build a local image with scripts/docker/build-kafka-image.sh and point KAFKA_IMAGE (or the broker's image setting) at it, e.g. KAFKA_IMAGE=volatility-insight/kafka:4.1.2-local.`,
        detail,
      );
    }
    case 'compose-missing':
      return new BrokerError(
        code,
        'Docker Compose is not installed: install the compose plugin (`docker compose`) or docker-compose, or use the built-in broker (Java 17+).',
        detail,
      );
  }
}

export function portInUseError(port: number | undefined, detail?: string): BrokerError {
  const which = port === undefined ? 'The Kafka port' : `Port ${port}`;
  return new BrokerError(
    'port-in-use',
    `${which} on 127.0.0.1 is already in use by another program: stop that program, or choose another port for the broker.`,
    detail,
  );
}
