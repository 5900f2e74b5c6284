import type { BrokerSettings } from '../../contract/broker.js';
import { DockerBrokerProvider } from './docker.js';
import { ExternalBrokerProvider } from './external.js';
import { JvmBrokerProvider } from './jvm.js';
import { BrokerError, type BrokerProvider } from './provider.js';

/** The provider the settings choose, configured from its section of the settings. */
export function createBrokerProvider(
  settings: BrokerSettings,
  env: NodeJS.ProcessEnv = process.env,
): BrokerProvider {
  switch (settings.provider) {
    case 'jvm':
      return new JvmBrokerProvider({
        port: settings.jvm.port,
        controllerPort: settings.jvm.controllerPort,
        dataDir: settings.jvm.dataDir,
        env,
      });
    case 'external':
      if (!settings.external) {
        throw new BrokerError(
          'not-configured',
          "no external cluster is configured: give the cluster's bootstrap servers (HOST:PORT) in the broker settings",
        );
      }
      return new ExternalBrokerProvider(settings.external);
    case 'docker':
      return new DockerBrokerProvider(settings.docker, { env });
  }
}
