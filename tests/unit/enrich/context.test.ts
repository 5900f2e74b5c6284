import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TradeContext, UNKNOWN_SYMBOL_WEATHER_ERROR } from '../../../main/enrich/context.js';
import { WEATHER_DISABLED_ERROR, WeatherService } from '../../../main/enrich/weather.js';

const REGULAR = Date.parse('2025-06-10T10:00:00-04:00');

function fakeWeather(): { service: WeatherService; asked: string[] } {
  const asked: string[] = [];
  const service = new WeatherService({ apiKey: 'k' });
  service.current = (city: string, country: string) => {
    asked.push(`${city},${country}`);
    return { temp_c: 18.5, condition: 'Clear', error: null };
  };
  return { service, asked };
}

describe('TradeContext', () => {
  it('combines session, reference data and weather for a known symbol', () => {
    const { service, asked } = fakeWeather();
    const ctx = new TradeContext(service);
    assert.deepEqual(ctx.enrich({ ts: REGULAR, symbol: 'aapl' }), {
      session: 'regular',
      exchange: 'NASDAQ',
      company: 'Apple Inc.',
      sector: 'Information Technology',
      weather_temp_c: 18.5,
      weather_condition: 'Clear',
      weather_error: null,
    });
    assert.deepEqual(asked, ['New York,US']);
    assert.equal(ctx.enrich({ ts: REGULAR, symbol: 'JPM' }).exchange, 'NYSE');
  });

  it('marks an unknown symbol with nulls and does not ask for weather', () => {
    const { service, asked } = fakeWeather();
    const ctx = new TradeContext(service);
    assert.deepEqual(ctx.enrich({ ts: Date.parse('2025-07-04T10:00:00-04:00'), symbol: 'ZZZZ' }), {
      session: 'closed',
      exchange: null,
      company: null,
      sector: null,
      weather_temp_c: null,
      weather_condition: null,
      weather_error: UNKNOWN_SYMBOL_WEATHER_ERROR,
    });
    assert.deepEqual(asked, []);
  });

  it('passes the weather error through when weather is disabled', () => {
    const ctx = new TradeContext(new WeatherService({}));
    const r = ctx.enrich({ ts: REGULAR, symbol: 'TSLA' });
    assert.equal(r.company, 'Tesla, Inc.');
    assert.equal(r.weather_temp_c, null);
    assert.equal(r.weather_error, WEATHER_DISABLED_ERROR);
  });
});
