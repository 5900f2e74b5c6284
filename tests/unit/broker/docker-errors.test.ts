import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeTimestampedLogs } from '../../../main/broker/docker-container.js';
import { classifyDockerFailure, dockerFailureError } from '../../../main/broker/docker-errors.js';

// Shapes of real docker / compose stderr (registry host names replaced by placeholders).
const samples: Array<[string, ReturnType<typeof classifyDockerFailure>]> = [
  [
    'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
    'docker-engine-down',
  ],
  [
    "ERROR: Couldn't connect to Docker daemon at http+docker://localhost - is it running?",
    'docker-engine-down',
  ],
  [
    'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.24/version": dial unix /var/run/docker.sock: connect: permission denied',
    'docker-permission',
  ],
  [
    "ERROR: Error while fetching server API version: ('Connection aborted.', PermissionError(13, 'Permission denied'))",
    'docker-permission',
  ],
  [
    'Error response from daemon: driver failed programming external connectivity on endpoint vi_kafka_1: Bind for 127.0.0.1:9092 failed: port is already allocated',
    'port-in-use',
  ],
  [
    'Error starting userland proxy: listen tcp4 127.0.0.1:9092: bind: address already in use',
    'port-in-use',
  ],
  [
    'Pulling kafka (apache/kafka:4.1.2)...\nGet "https://<registry>/v2/": dial tcp: lookup <registry>: no such host',
    'image-unavailable',
  ],
  [
    "Error response from daemon: pull access denied for volatility-insight/does-not-exist, repository does not exist or may require 'docker login'",
    'image-unavailable',
  ],
  [
    'kafka Error failed to resolve reference "<registry>/apache/kafka:4.1.2": failed to do request: i/o timeout',
    'image-unavailable',
  ],
  ["docker: 'compose' is not a docker command.\nSee 'docker --help'", 'compose-missing'],
  ['no such service: broker', undefined],
];

describe('classifyDockerFailure', () => {
  for (const [stderr, expected] of samples) {
    it(`${expected ?? 'unknown'} ← ${stderr.slice(0, 60)}`, () => {
      assert.equal(classifyDockerFailure(stderr), expected);
    });
  }

  it('messages say what to do and keep stderr as detail', () => {
    const e = dockerFailureError('image-unavailable', ' pull failed \n', { image: 'x:1' });
    assert.match(e.message, /x:1 could not be pulled/);
    assert.match(e.message, /KAFKA_IMAGE/);
    assert.equal(e.detail, 'pull failed');
    assert.match(dockerFailureError('docker-permission', '').message, /docker group/);
    assert.match(
      dockerFailureError('port-in-use', '', { port: 19092 }).message,
      /19092.*another port/,
    );
    for (const code of [
      'docker-permission',
      'docker-engine-down',
      'port-in-use',
      'image-unavailable',
      'compose-missing',
    ] as const) {
      // Core messages fit every shell: no CLI flag names (the CLI adds its own hint by code).
      assert.doesNotMatch(dockerFailureError(code, '').message, /(^|\s)--[a-z]/, code);
    }
  });
});

describe('mergeTimestampedLogs', () => {
  it('interleaves stdout and stderr by time, strips timestamps and keeps the last n lines', () => {
    const stdout = [
      '2026-11-25T14:00:00.1Z out a',
      '2026-11-25T14:00:00.300000000Z out c',
      '2026-11-25T14:00:01Z out e',
    ].join('\n');
    const stderr = ['2026-11-25T14:00:00.25Z err b', '2026-11-25T14:00:00.9Z err d'].join('\n');
    assert.equal(mergeTimestampedLogs(stdout, stderr, 10), 'out a\nerr b\nout c\nerr d\nout e');
    assert.equal(mergeTimestampedLogs(stdout, stderr, 2), 'err d\nout e');
  });
});
