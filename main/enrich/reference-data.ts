/** Primary US listing venues the reference table uses. */
export type Exchange = 'NASDAQ' | 'NYSE';

export interface SymbolInfo {
  symbol: string;
  exchange: Exchange;
  company: string;
  /** GICS sector (post-2023 reclassification: Visa, Mastercard, PayPal are Financials). */
  sector: string;
  /** City of the exchange (where the trade "happens"), used for the weather lookup. */
  city: string;
  /** ISO 3166-1 alpha-2 code, as OpenWeatherMap's `q=city,country` expects. */
  country: string;
}

export const EXCHANGE_LOCATIONS: Readonly<Record<Exchange, { city: string; country: string }>> = {
  NASDAQ: { city: 'New York', country: 'US' },
  NYSE: { city: 'New York', country: 'US' },
};

const IT = 'Information Technology';
const COMM = 'Communication Services';
const DISC = 'Consumer Discretionary';
const STAPLES = 'Consumer Staples';
const FIN = 'Financials';
const HEALTH = 'Health Care';
const ENERGY = 'Energy';
const INDUSTRIALS = 'Industrials';

// [symbol, primary listing, company, sector]. Listings as of 2025; WMT is left out on purpose
// (it moved its listing from NYSE to Nasdaq in December 2025, so either answer is wrong somewhere).
const ROWS: ReadonlyArray<readonly [string, Exchange, string, string]> = [
  ['AAPL', 'NASDAQ', 'Apple Inc.', IT],
  ['MSFT', 'NASDAQ', 'Microsoft Corporation', IT],
  ['NVDA', 'NASDAQ', 'NVIDIA Corporation', IT],
  ['GOOGL', 'NASDAQ', 'Alphabet Inc. (Class A)', COMM],
  ['GOOG', 'NASDAQ', 'Alphabet Inc. (Class C)', COMM],
  ['AMZN', 'NASDAQ', 'Amazon.com, Inc.', DISC],
  ['META', 'NASDAQ', 'Meta Platforms, Inc.', COMM],
  ['TSLA', 'NASDAQ', 'Tesla, Inc.', DISC],
  ['NFLX', 'NASDAQ', 'Netflix, Inc.', COMM],
  ['AVGO', 'NASDAQ', 'Broadcom Inc.', IT],
  ['AMD', 'NASDAQ', 'Advanced Micro Devices, Inc.', IT],
  ['INTC', 'NASDAQ', 'Intel Corporation', IT],
  ['CSCO', 'NASDAQ', 'Cisco Systems, Inc.', IT],
  ['ADBE', 'NASDAQ', 'Adobe Inc.', IT],
  ['QCOM', 'NASDAQ', 'QUALCOMM Incorporated', IT],
  ['TXN', 'NASDAQ', 'Texas Instruments Incorporated', IT],
  ['COST', 'NASDAQ', 'Costco Wholesale Corporation', STAPLES],
  ['PEP', 'NASDAQ', 'PepsiCo, Inc.', STAPLES],
  ['PYPL', 'NASDAQ', 'PayPal Holdings, Inc.', FIN],
  ['JPM', 'NYSE', 'JPMorgan Chase & Co.', FIN],
  ['V', 'NYSE', 'Visa Inc.', FIN],
  ['MA', 'NYSE', 'Mastercard Incorporated', FIN],
  ['BAC', 'NYSE', 'Bank of America Corporation', FIN],
  ['GS', 'NYSE', 'The Goldman Sachs Group, Inc.', FIN],
  ['BRK.B', 'NYSE', 'Berkshire Hathaway Inc. (Class B)', FIN],
  ['UNH', 'NYSE', 'UnitedHealth Group Incorporated', HEALTH],
  ['JNJ', 'NYSE', 'Johnson & Johnson', HEALTH],
  ['LLY', 'NYSE', 'Eli Lilly and Company', HEALTH],
  ['PFE', 'NYSE', 'Pfizer Inc.', HEALTH],
  ['MRK', 'NYSE', 'Merck & Co., Inc.', HEALTH],
  ['ABBV', 'NYSE', 'AbbVie Inc.', HEALTH],
  ['XOM', 'NYSE', 'Exxon Mobil Corporation', ENERGY],
  ['CVX', 'NYSE', 'Chevron Corporation', ENERGY],
  ['PG', 'NYSE', 'The Procter & Gamble Company', STAPLES],
  ['KO', 'NYSE', 'The Coca-Cola Company', STAPLES],
  ['HD', 'NYSE', 'The Home Depot, Inc.', DISC],
  ['MCD', 'NYSE', "McDonald's Corporation", DISC],
  ['NKE', 'NYSE', 'NIKE, Inc.', DISC],
  ['DIS', 'NYSE', 'The Walt Disney Company', COMM],
  ['T', 'NYSE', 'AT&T Inc.', COMM],
  ['VZ', 'NYSE', 'Verizon Communications Inc.', COMM],
  ['ORCL', 'NYSE', 'Oracle Corporation', IT],
  ['CRM', 'NYSE', 'Salesforce, Inc.', IT],
  ['IBM', 'NYSE', 'International Business Machines Corporation', IT],
  ['BA', 'NYSE', 'The Boeing Company', INDUSTRIALS],
  ['CAT', 'NYSE', 'Caterpillar Inc.', INDUSTRIALS],
  ['UBER', 'NYSE', 'Uber Technologies, Inc.', INDUSTRIALS],
];

const TABLE: ReadonlyMap<string, SymbolInfo> = new Map(
  ROWS.map(([symbol, exchange, company, sector]) => [
    symbol,
    Object.freeze({ symbol, exchange, company, sector, ...EXCHANGE_LOCATIONS[exchange] }),
  ]),
);

/** Every symbol in the table, in table order. */
export const KNOWN_SYMBOLS: readonly string[] = ROWS.map(([symbol]) => symbol);

/**
 * Reference data for a ticker, or null when it is not in the table. Case-insensitive; share-class
 * separators are normalised ('BRK-B', 'BRK/B' and 'brk.b' all find 'BRK.B').
 */
export function lookupSymbol(symbol: string): SymbolInfo | null {
  const key = symbol.trim().toUpperCase().replace(/[-/]/g, '.');
  return TABLE.get(key) ?? null;
}
