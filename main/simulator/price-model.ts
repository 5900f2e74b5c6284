import type { Random } from './random.js';

/** Trading seconds in a year (252 days × 6.5 h): the clock that annual drift and volatility use. */
export const TRADING_SECONDS_PER_YEAR = 252 * 6.5 * 3600;

export interface SymbolModel {
  symbol: string;
  startPrice: number;
  /** Annual drift μ. */
  drift: number;
  /** Annual volatility σ. */
  volatility: number;
  /** Median trade size (shares); sizes are log-normal around it. */
  medianVolume: number;
}

export interface JumpModel {
  /** Expected jumps per trading year (Merton jump-diffusion). 0 turns jumps off. */
  intensityPerYear: number;
  /** Mean and standard deviation of the log jump size. */
  meanLogJump: number;
  stdLogJump: number;
}

export const DEFAULT_SYMBOLS: readonly SymbolModel[] = [
  { symbol: 'AAPL', startPrice: 230, drift: 0.08, volatility: 0.28, medianVolume: 200 },
  { symbol: 'TSLA', startPrice: 250, drift: 0.1, volatility: 0.6, medianVolume: 300 },
  { symbol: 'GOOGL', startPrice: 170, drift: 0.08, volatility: 0.3, medianVolume: 150 },
  { symbol: 'AMZN', startPrice: 185, drift: 0.09, volatility: 0.32, medianVolume: 180 },
  { symbol: 'MSFT', startPrice: 420, drift: 0.07, volatility: 0.25, medianVolume: 120 },
  { symbol: 'NVDA', startPrice: 130, drift: 0.12, volatility: 0.5, medianVolume: 400 },
];

export const NO_JUMPS: JumpModel = { intensityPerYear: 0, meanLogJump: 0, stdLogJump: 0 };
export const DEFAULT_JUMPS: JumpModel = { intensityPerYear: 50, meanLogJump: 0, stdLogJump: 0.01 };

/** A model for a symbol the defaults do not know: a plausible mid-cap. */
export function genericModel(symbol: string): SymbolModel {
  return { symbol, startPrice: 100, drift: 0.05, volatility: 0.35, medianVolume: 100 };
}

const VOLUME_LOG_SIGMA = 0.8;

/**
 * Geometric Brownian motion per symbol, with optional Merton jumps and log-normal trade sizes:
 * S(t+dt) = S(t) · exp((μ − σ²/2)·dt + σ·√dt·Z + J), dt in trading years.
 * Prices are kept unrounded inside and rounded to the cent on output, like a real tape.
 */
export class PriceModel {
  private readonly prices = new Map<string, number>();

  constructor(
    private readonly random: Random,
    private readonly jumps: JumpModel = NO_JUMPS,
  ) {}

  next(model: SymbolModel, dtSeconds: number): { price: number; volume: number } {
    const prev = this.prices.get(model.symbol) ?? model.startPrice;
    const dt = Math.max(dtSeconds, 0) / TRADING_SECONDS_PER_YEAR;
    const sigma = model.volatility;
    let logStep =
      (model.drift - (sigma * sigma) / 2) * dt + sigma * Math.sqrt(dt) * this.random.normal();
    if (this.jumps.intensityPerYear > 0 && this.random.next() < this.jumps.intensityPerYear * dt) {
      logStep += this.jumps.meanLogJump + this.jumps.stdLogJump * this.random.normal();
    }
    const price = prev * Math.exp(logStep);
    this.prices.set(model.symbol, price);
    const volume = Math.max(
      1,
      Math.round(model.medianVolume * Math.exp(VOLUME_LOG_SIGMA * this.random.normal())),
    );
    return { price: Math.max(0.01, Math.round(price * 100) / 100), volume };
  }
}
