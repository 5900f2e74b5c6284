import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  WEATHER_DISABLED_ERROR,
  WEATHER_PENDING_ERROR,
  WeatherConfigSchema,
  WeatherService,
} from '../../../main/enrich/weather.js';
import type { WeatherConfigInput } from '../../../main/enrich/weather.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const KEY = 'test-key-123';
let server: Server;
let baseUrl: string;
let handler: Handler;
let requests: URL[];

function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function ok(temp: number, main = 'Clouds', description = 'overcast clouds'): Handler {
  return (_req, res) =>
    json(res, 200, {
      coord: { lon: -74.006, lat: 40.7143 },
      weather: [{ id: 804, main, description, icon: '04d' }],
      main: { temp, feels_like: temp - 1, pressure: 1012, humidity: 60 },
      name: 'New York',
      cod: 200,
    });
}

/** A clock the test moves by hand. */
function clock(start = 1_750_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function service(config: Partial<WeatherConfigInput>, now: () => number): WeatherService {
  return new WeatherService({ apiKey: KEY, baseUrl, ...config }, now);
}

before(async () => {
  server = createServer((req, res) => {
    requests.push(new URL(req.url ?? '/', 'http://localhost'));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
  handler = ok(21.5);
});

describe('WeatherService', () => {
  it('has documented defaults', () => {
    const c = WeatherConfigSchema.parse({});
    assert.equal(c.baseUrl, 'https://api.openweathermap.org');
    assert.equal(c.ttlMs, 600_000);
    assert.equal(c.timeoutMs, 2000);
    assert.equal(c.minIntervalMs, 1000);
    assert.equal(c.apiKey, undefined);
  });

  it('fetches current weather with units=metric and the key', async () => {
    handler = ok(12.34, 'Rain', 'light rain');
    const w = service({}, Date.now);
    const r = await w.refreshNow('New York', 'US');
    assert.deepEqual(r, { temp_c: 12.34, condition: 'Rain', error: null });
    assert.equal(requests.length, 1);
    const url = requests[0];
    assert.ok(url);
    assert.equal(url.pathname, '/data/2.5/weather');
    assert.equal(url.searchParams.get('q'), 'New York,US');
    assert.equal(url.searchParams.get('appid'), KEY);
    assert.equal(url.searchParams.get('units'), 'metric');
    assert.deepEqual(w.current('New York', 'US'), r);
    assert.deepEqual(w.stats(), { requests: 1, failures: 0, cacheHits: 1, inFlight: 0 });
  });

  it('answers "weather pending" at once and fills the cache in the background', async () => {
    const c = clock();
    const w = service({}, c.now);
    assert.deepEqual(w.current('New York', 'US'), {
      temp_c: null,
      condition: null,
      error: WEATHER_PENDING_ERROR,
    });
    assert.equal(w.stats().inFlight, 1);
    assert.deepEqual(w.current('New York', 'US').error, WEATHER_PENDING_ERROR);
    await w.refreshNow('New York', 'US'); // joins the request in flight
    assert.equal(requests.length, 1);
    assert.deepEqual(w.current('New York', 'US'), {
      temp_c: 21.5,
      condition: 'Clouds',
      error: null,
    });
  });

  it('serves from cache within the TTL and refreshes after it, keeping the stale value', async () => {
    const c = clock();
    const w = service({ ttlMs: 60_000 }, c.now);
    await w.refreshNow('New York', 'US');
    c.advance(59_999);
    assert.equal(w.current('New York', 'US').temp_c, 21.5);
    assert.equal(requests.length, 1);
    handler = ok(25);
    c.advance(1);
    assert.deepEqual(w.current('New York', 'US'), {
      temp_c: 21.5,
      condition: 'Clouds',
      error: null,
    });
    assert.equal(w.stats().inFlight, 1);
    await w.refreshNow('New York', 'US');
    assert.equal(requests.length, 2);
    assert.equal(w.current('New York', 'US').temp_c, 25);
  });

  it('stops asking after a 401 until the auth backoff passes', async () => {
    handler = (_req, res) =>
      json(res, 401, {
        cod: 401,
        message:
          'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.',
      });
    const c = clock();
    const w = service({ authBackoffMs: 600_000 }, c.now);
    const r = await w.refreshNow('New York', 'US');
    assert.equal(r.temp_c, null);
    assert.match(r.error ?? '', /^OpenWeatherMap rejected the API key \(401\)/);
    for (let i = 0; i < 10; i++) {
      c.advance(59_000);
      assert.match(w.current('New York', 'US').error ?? '', /\(401\)/);
      assert.match(w.current('London', 'GB').error ?? '', /\(401\)/);
    }
    assert.equal(requests.length, 1);
    c.advance(10_000);
    handler = ok(3);
    w.current('New York', 'US');
    await w.refreshNow('New York', 'US');
    assert.equal(requests.length, 2);
    assert.deepEqual(w.current('New York', 'US'), { temp_c: 3, condition: 'Clouds', error: null });
    assert.equal(w.stats().failures, 1);
  });

  it('honours Retry-After on a 429', async () => {
    handler = (_req, res) =>
      json(res, 429, { cod: 429, message: 'Too many requests' }, { 'retry-after': '5' });
    const c = clock();
    const w = service({}, c.now);
    const r = await w.refreshNow('New York', 'US');
    assert.equal(r.error, 'rate limited by OpenWeatherMap (429), retrying after 5 s');
    c.advance(4_999);
    assert.match(w.current('New York', 'US').error ?? '', /\(429\)/);
    assert.equal(requests.length, 1);
    // refreshNow respects the backoff too.
    assert.match((await w.refreshNow('New York', 'US')).error ?? '', /\(429\)/);
    assert.equal(requests.length, 1);
    c.advance(1);
    handler = ok(7);
    w.current('New York', 'US');
    assert.equal(w.stats().inFlight, 1);
    await w.refreshNow('New York', 'US');
    assert.equal(requests.length, 2);
    assert.equal(w.current('New York', 'US').temp_c, 7);
  });

  it('backs off the configured default after a 429 without Retry-After', async () => {
    handler = (_req, res) => json(res, 429, { cod: 429, message: 'Too many requests' });
    const c = clock();
    const w = service({}, c.now);
    assert.equal(
      (await w.refreshNow('New York', 'US')).error,
      'rate limited by OpenWeatherMap (429), retrying after 60 s',
    );
    c.advance(59_999);
    w.current('New York', 'US');
    assert.equal(requests.length, 1);
    c.advance(1);
    w.current('New York', 'US');
    assert.equal(w.stats().inFlight, 1);
    await w.refreshNow('New York', 'US');
    assert.equal(requests.length, 2);
  });

  it('keeps the last good value through failures until TTL×3, then drops it', async () => {
    const c = clock();
    const w = service({ ttlMs: 10_000, minIntervalMs: 0 }, c.now);
    await w.refreshNow('New York', 'US');
    handler = (_req, res) => json(res, 429, { cod: 429, message: 'slow down' });
    c.advance(10_000);
    await w.refreshNow('New York', 'US');
    const stale = w.current('New York', 'US');
    assert.equal(stale.temp_c, 21.5);
    assert.equal(stale.condition, 'Clouds');
    assert.match(stale.error ?? '', /\(429\)/);
    c.advance(19_999);
    assert.equal(w.current('New York', 'US').temp_c, 21.5);
    c.advance(1);
    const dropped = w.current('New York', 'US');
    assert.equal(dropped.temp_c, null);
    assert.equal(dropped.condition, null);
    assert.match(dropped.error ?? '', /\(429\)/);
  });

  it('times out a server that never answers', async () => {
    handler = () => {}; // never responds
    const w = service({ timeoutMs: 200 }, Date.now);
    const started = Date.now();
    const r = await w.refreshNow('New York', 'US');
    const elapsed = Date.now() - started;
    assert.deepEqual(r, { temp_c: null, condition: null, error: 'timed out after 200 ms' });
    assert.ok(elapsed >= 150 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(w.stats().failures, 1);
  });

  it('spaces requests by minIntervalMs across cities', async () => {
    const c = clock();
    const w = service({ minIntervalMs: 1000 }, c.now);
    w.current('New York', 'US');
    assert.equal(w.current('London', 'GB').error, WEATHER_PENDING_ERROR);
    await w.refreshNow('New York', 'US');
    assert.equal(requests.length, 1);
    c.advance(999);
    w.current('London', 'GB');
    assert.equal(w.stats().inFlight, 0);
    c.advance(1);
    w.current('London', 'GB');
    assert.equal(w.stats().inFlight, 1);
    await w.refreshNow('London', 'GB');
    assert.equal(requests.length, 2);
    assert.equal(requests[1]?.searchParams.get('q'), 'London,GB');
  });

  it('reports 404, unexpected bodies and network errors, and retries a city later', async () => {
    const c = clock();
    handler = (_req, res) => json(res, 404, { cod: '404', message: 'city not found' });
    const w = service({ minIntervalMs: 0, failureRetryMs: 30_000 }, c.now);
    assert.equal(
      (await w.refreshNow('Atlantis', 'XX')).error,
      'city not found by OpenWeatherMap (404): Atlantis,XX',
    );
    c.advance(29_999);
    w.current('Atlantis', 'XX');
    assert.equal(w.stats().inFlight, 0);
    c.advance(1);
    w.current('Atlantis', 'XX');
    assert.equal(w.stats().inFlight, 1);
    await w.refreshNow('Atlantis', 'XX');

    handler = (_req, res) => json(res, 200, { main: { temp: 'warm' }, weather: [] });
    assert.match(
      (await w.refreshNow('Paris', 'FR')).error ?? '',
      /^unexpected response: main\.temp/,
    );
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>oops</html>');
    };
    assert.equal(
      (await w.refreshNow('Paris', 'FR')).error,
      'unexpected response: body is not JSON',
    );
    handler = (_req, res) => json(res, 503, { cod: 503, message: 'maintenance' });
    assert.equal(
      (await w.refreshNow('Paris', 'FR')).error,
      'unexpected response: HTTP 503: maintenance',
    );

    // A port nobody listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = new WeatherService({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }, c.now);
    assert.equal((await down.refreshNow('New York', 'US')).error, 'network error: ECONNREFUSED');
  });

  it('never throws, even if fetch itself throws synchronously', async () => {
    const w = new WeatherService({ apiKey: KEY }, Date.now, () => {
      throw new Error('boom');
    });
    assert.equal(w.current('New York', 'US').error, WEATHER_PENDING_ERROR);
    assert.equal((await w.refreshNow('New York', 'US')).error, 'network error: boom');
  });

  it('makes no request at all when disabled', async () => {
    let calls = 0;
    const fakeFetch: typeof fetch = () => {
      calls++;
      return Promise.reject(new Error('must not be called'));
    };
    for (const apiKey of [undefined, '', '   ']) {
      const w = new WeatherService({ apiKey, baseUrl }, Date.now, fakeFetch);
      assert.equal(w.enabled, false);
      const expected = { temp_c: null, condition: null, error: WEATHER_DISABLED_ERROR };
      assert.deepEqual(w.current('New York', 'US'), expected);
      assert.deepEqual(await w.refreshNow('New York', 'US'), expected);
      assert.equal(w.stats().requests, 0);
    }
    assert.equal(calls, 0);
    assert.equal(requests.length, 0);
  });
});
