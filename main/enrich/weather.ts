import { z } from 'zod';

export const DEFAULT_WEATHER_BASE_URL = 'https://api.openweathermap.org';

export const WeatherConfigSchema = z.object({
  /** OpenWeatherMap API key; missing or blank disables weather (no request is ever made). */
  apiKey: z.string().optional(),
  baseUrl: z.url().default(DEFAULT_WEATHER_BASE_URL),
  /** How long a reading counts as fresh; a stale one is still served (with a refresh) up to ×3. */
  ttlMs: z
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  timeoutMs: z.number().int().positive().default(2000),
  /** Minimum gap between any two requests (the free tier allows 60 a minute). */
  minIntervalMs: z.number().int().nonnegative().default(1000),
  /** Pause after a 429 without a usable Retry-After header. */
  rateLimitBackoffMs: z.number().int().nonnegative().default(60_000),
  /** Pause after a 401: the key is wrong, asking again soon would only burn requests. */
  authBackoffMs: z
    .number()
    .int()
    .nonnegative()
    .default(10 * 60_000),
  /** Pause before asking again for one city after any other failure (timeout, 404, 5xx…). */
  failureRetryMs: z.number().int().nonnegative().default(30_000),
});
export type WeatherConfigInput = z.input<typeof WeatherConfigSchema>;
export type WeatherConfig = z.output<typeof WeatherConfigSchema>;

export interface WeatherReading {
  temp_c: number | null;
  /** OpenWeatherMap's `weather[0].main`, e.g. 'Clouds', 'Rain'. */
  condition: string | null;
  /** Why there is no fresh reading; null when the reading is current. */
  error: string | null;
}

export interface WeatherStats {
  requests: number;
  failures: number;
  cacheHits: number;
  inFlight: number;
}

export const WEATHER_DISABLED_ERROR =
  'weather disabled: set an OpenWeatherMap API key (in the settings, or OPENWEATHER_API_KEY) to enable it';
export const WEATHER_PENDING_ERROR = 'weather pending';

const CurrentWeatherSchema = z.object({
  main: z.object({ temp: z.number() }),
  weather: z.array(z.object({ main: z.string(), description: z.string() })).min(1),
});

const ApiErrorSchema = z.object({
  cod: z.union([z.number(), z.string()]).optional(),
  message: z.string().optional(),
});

type FetchOutcome =
  { ok: true; temp_c: number; condition: string } | { ok: false; error: string; blockMs?: number };

interface CityState {
  good: { temp_c: number; condition: string; at: number } | null;
  error: string | null;
  retryAt: number;
  inFlight: Promise<void> | null;
}

const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * Current weather per city from OpenWeatherMap, built for a per-trade caller: `current()` answers
 * synchronously from the cache, never throws, and refreshes in the background (one request per
 * city at a time, at most one request per `minIntervalMs`, none while backing off after 401/429).
 */
export class WeatherService {
  private readonly config: WeatherConfig;
  private readonly apiKey: string | null;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly cities = new Map<string, CityState>();
  private lastRequestAt = -Infinity;
  private blockedUntil = -Infinity;
  private blockedReason: string | null = null;
  private readonly counters = { requests: 0, failures: 0, cacheHits: 0 };

  /** Throws (a ZodError) only on an invalid config. */
  constructor(
    config: WeatherConfigInput = {},
    now: () => number = Date.now,
    fetchImpl: typeof fetch = fetch,
  ) {
    this.config = WeatherConfigSchema.parse(config);
    this.apiKey = this.config.apiKey?.trim() || null;
    this.now = now;
    this.fetchImpl = fetchImpl;
  }

  get enabled(): boolean {
    return this.apiKey !== null;
  }

  current(city: string, country: string): WeatherReading {
    if (this.apiKey === null) return disabledReading();
    try {
      const now = this.now();
      const st = this.state(city, country);
      const good = this.keepable(st, now);
      if (good && now - good.at < this.config.ttlMs) {
        this.counters.cacheHits++;
        return { temp_c: good.temp_c, condition: good.condition, error: null };
      }
      if (
        !st.inFlight &&
        now >= this.blockedUntil &&
        now >= st.retryAt &&
        now - this.lastRequestAt >= this.config.minIntervalMs
      ) {
        this.start(st, city, country, this.apiKey);
      }
      return this.snapshot(st, now);
    } catch (err) {
      return { temp_c: null, condition: null, error: `weather error: ${errorText(err)}` };
    }
  }

  /**
   * Fetches now (for warm-up and tests), ignoring the TTL and the request spacing but not a
   * 401/429 backoff; joins a request already in flight for the city. Never rejects.
   */
  async refreshNow(city: string, country: string): Promise<WeatherReading> {
    if (this.apiKey === null) return disabledReading();
    const st = this.state(city, country);
    if (!st.inFlight && this.now() >= this.blockedUntil) this.start(st, city, country, this.apiKey);
    if (st.inFlight) await st.inFlight;
    return this.snapshot(st, this.now());
  }

  stats(): WeatherStats {
    let inFlight = 0;
    for (const st of this.cities.values()) if (st.inFlight) inFlight++;
    return { ...this.counters, inFlight };
  }

  private state(city: string, country: string): CityState {
    const key = `${city.trim().toLowerCase()},${country.trim().toLowerCase()}`;
    let st = this.cities.get(key);
    if (!st) {
      st = { good: null, error: null, retryAt: -Infinity, inFlight: null };
      this.cities.set(key, st);
    }
    return st;
  }

  /** The last good reading unless it is older than TTL×3, in which case it is dropped. */
  private keepable(st: CityState, now: number): CityState['good'] {
    if (st.good && now - st.good.at >= this.config.ttlMs * 3) st.good = null;
    return st.good;
  }

  private snapshot(st: CityState, now: number): WeatherReading {
    const good = this.keepable(st, now);
    const error =
      now < this.blockedUntil && this.blockedReason !== null ? this.blockedReason : st.error;
    if (good && now - good.at < this.config.ttlMs) {
      return { temp_c: good.temp_c, condition: good.condition, error: null };
    }
    if (good) return { temp_c: good.temp_c, condition: good.condition, error };
    return { temp_c: null, condition: null, error: error ?? WEATHER_PENDING_ERROR };
  }

  private start(st: CityState, city: string, country: string, apiKey: string): void {
    this.lastRequestAt = this.now();
    this.counters.requests++;
    st.inFlight = this.request(city, country, apiKey)
      .catch((err: unknown): FetchOutcome => ({ ok: false, error: errorText(err) }))
      .then((outcome) => this.settle(st, outcome))
      .finally(() => {
        st.inFlight = null;
      });
  }

  private settle(st: CityState, outcome: FetchOutcome): void {
    const now = this.now();
    if (outcome.ok) {
      st.good = { temp_c: outcome.temp_c, condition: outcome.condition, at: now };
      st.error = null;
      st.retryAt = -Infinity;
      return;
    }
    this.counters.failures++;
    st.error = outcome.error;
    if (outcome.blockMs !== undefined) {
      this.blockedUntil = now + outcome.blockMs;
      this.blockedReason = outcome.error;
    } else {
      st.retryAt = now + this.config.failureRetryMs;
    }
  }

  private async request(city: string, country: string, apiKey: string): Promise<FetchOutcome> {
    const query = new URLSearchParams({ q: `${city},${country}`, appid: apiKey, units: 'metric' });
    const url = `${this.config.baseUrl.replace(/\/+$/, '')}/data/2.5/weather?${query.toString()}`;
    const { timeoutMs } = this.config;
    let status: number;
    let retryAfter: string | null;
    let text: string;
    try {
      const fetchImpl = this.fetchImpl;
      const res = await fetchImpl(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      return { ok: false, error: describeFetchError(err, timeoutMs) };
    }

    if (status === 401) {
      const ms = this.config.authBackoffMs;
      return {
        ok: false,
        error: `OpenWeatherMap rejected the API key (401), retrying after ${seconds(ms)} s`,
        blockMs: ms,
      };
    }
    if (status === 429) {
      const ms = this.retryAfterMs(retryAfter) ?? this.config.rateLimitBackoffMs;
      return {
        ok: false,
        error: `rate limited by OpenWeatherMap (429), retrying after ${seconds(ms)} s`,
        blockMs: ms,
      };
    }
    const json = parseJson(text);
    if (status === 404) {
      return { ok: false, error: `city not found by OpenWeatherMap (404): ${city},${country}` };
    }
    if (status !== 200) {
      const message = ApiErrorSchema.safeParse(json).data?.message;
      const detail = message ? `: ${message.slice(0, 200)}` : '';
      return { ok: false, error: `unexpected response: HTTP ${status}${detail}` };
    }
    if (json === undefined) return { ok: false, error: 'unexpected response: body is not JSON' };
    const parsed = CurrentWeatherSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return { ok: false, error: `unexpected response: ${where}${issue?.message ?? 'invalid'}` };
    }
    const first = parsed.data.weather[0];
    return { ok: true, temp_c: parsed.data.main.temp, condition: first?.main ?? 'Unknown' };
  }

  /** Retry-After is either delta-seconds or an HTTP date. */
  private retryAfterMs(header: string | null): number | null {
    if (header === null || header.trim() === '') return null;
    const trimmed = header.trim();
    const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - this.now();
    if (!Number.isFinite(ms)) return null;
    return Math.min(Math.max(ms, 1000), MAX_RETRY_AFTER_MS);
  }
}

function disabledReading(): WeatherReading {
  return { temp_c: null, condition: null, error: WEATHER_DISABLED_ERROR };
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error || err instanceof DOMException) {
    if (err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    // undici reports socket-level failures as TypeError('fetch failed') with the real error as cause.
    const cause: unknown = 'cause' in err ? err.cause : undefined;
    if (cause instanceof Error) {
      const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
      return `network error: ${code ?? cause.message}`;
    }
    return `network error: ${err.message}`;
  }
  return `network error: ${String(err)}`;
}
