import type { TradeMessage } from '../../contract/trade.js';
import {
  DEFAULT_SYMBOLS,
  NO_JUMPS,
  PriceModel,
  genericModel,
  type JumpModel,
  type SymbolModel,
} from './price-model.js';
import { Random } from './random.js';

export interface SimulatorOptions {
  symbols?: readonly string[];
  seed?: number;
  jumps?: JumpModel;
  /**
   * Simulated time per trade in ms (the GBM step; each symbol's dt is the simulated time since
   * its last trade). Defaults to 1000 / rate, so prices move at their annual volatility.
   */
  stepMs: number;
  /** With a start time, timestamps follow the simulated clock (reproducible); else the wall clock. */
  simulatedStart?: number;
  overrides?: Partial<Record<string, Partial<SymbolModel>>>;
}

/** Generates trades in the seed project's message format; the same seed gives the same trades. */
export class TradeSimulator {
  private readonly models: SymbolModel[];
  private readonly random: Random;
  private readonly priceModel: PriceModel;
  private readonly lastTrade = new Map<string, number>();
  private simulatedMs = 0;

  constructor(private readonly options: SimulatorOptions) {
    const names = options.symbols ?? DEFAULT_SYMBOLS.map((m) => m.symbol);
    if (names.length === 0) throw new Error('at least one symbol is needed');
    this.models = names.map((name) => {
      const base = DEFAULT_SYMBOLS.find((m) => m.symbol === name) ?? genericModel(name);
      return { ...base, ...options.overrides?.[name] };
    });
    this.random = new Random(options.seed ?? Date.now());
    this.priceModel = new PriceModel(this.random, options.jumps ?? NO_JUMPS);
  }

  next(wallClockMs: number): TradeMessage {
    this.simulatedMs += this.options.stepMs;
    const model = this.models[this.random.int(this.models.length)]!;
    const last = this.lastTrade.get(model.symbol);
    this.lastTrade.set(model.symbol, this.simulatedMs);
    const dtSeconds =
      last === undefined ? this.options.stepMs / 1000 : (this.simulatedMs - last) / 1000;
    const { price, volume } = this.priceModel.next(model, dtSeconds);
    const ts =
      this.options.simulatedStart === undefined
        ? wallClockMs
        : this.options.simulatedStart + this.simulatedMs;
    return { timestamp: new Date(ts).toISOString(), symbol: model.symbol, price, volume };
  }
}
