import type { EnrichedTrade, MarketSession, Trade } from '../../contract/trade.js';
import { lookupSymbol } from './reference-data.js';
import { marketSession } from './session-calendar.js';
import type { WeatherService } from './weather.js';

/** The part of an enriched trade that comes from reference data, the calendar and the weather. */
export type TradeContextFields = Pick<
  EnrichedTrade,
  | 'session'
  | 'exchange'
  | 'company'
  | 'sector'
  | 'weather_temp_c'
  | 'weather_condition'
  | 'weather_error'
>;

export const UNKNOWN_SYMBOL_WEATHER_ERROR = 'unknown symbol: no exchange city';

/** Per-trade context: never throws, never waits (weather comes from WeatherService's cache). */
export class TradeContext {
  private readonly weather: WeatherService;
  private readonly sessionAt: (tsMs: number) => MarketSession;

  constructor(weather: WeatherService, sessionAt: (tsMs: number) => MarketSession = marketSession) {
    this.weather = weather;
    this.sessionAt = sessionAt;
  }

  enrich(trade: Pick<Trade, 'ts' | 'symbol'>): TradeContextFields {
    const session = this.sessionAt(trade.ts);
    const info = lookupSymbol(trade.symbol);
    if (!info) {
      return {
        session,
        exchange: null,
        company: null,
        sector: null,
        weather_temp_c: null,
        weather_condition: null,
        weather_error: UNKNOWN_SYMBOL_WEATHER_ERROR,
      };
    }
    const w = this.weather.current(info.city, info.country);
    return {
      session,
      exchange: info.exchange,
      company: info.company,
      sector: info.sector,
      weather_temp_c: w.temp_c,
      weather_condition: w.condition,
      weather_error: w.error,
    };
  }
}
