import { parentPort } from 'node:worker_threads';
import {
  electronUtilityCarrier,
  nodeWorkerCarrier,
  runServiceHost,
  type ElectronParentPort,
  type RawPort,
} from '../service-host.js';
import { VolatilityService } from '../service.js';

// The core service's home off the UI's thread: a worker thread in edge mode (and the CLI's
// tests), Electron's utilityProcess in the desktop app. The protocol is in service-host.ts.
const electronParent = (process as { parentPort?: ElectronParentPort }).parentPort;
const carrier = parentPort
  ? nodeWorkerCarrier(parentPort as unknown as RawPort)
  : electronParent
    ? electronUtilityCarrier(electronParent)
    : null;
if (!carrier) throw new Error('service-worker must run in a worker thread or a utilityProcess');
runServiceHost(carrier, (options) => new VolatilityService(options));
