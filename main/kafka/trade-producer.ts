import type { Kafka, Producer } from 'kafkajs';
import type { TradeMessage } from '../../contract/trade.js';

/**
 * The idempotent trade producer shared by the simulator and the replay: acks from all in-sync
 * replicas, retries until the broker is back without duplicates (idempotence needs one request
 * in flight with kafkajs), and records keyed by symbol — each symbol stays ordered in its
 * partition — with the seed's JSON value `{"timestamp", "symbol", "price", "volume"}`.
 */
export function createTradeProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
}

/** Trades as Kafka records: key = symbol, value = the seed's JSON. */
export function tradeRecords(trades: readonly TradeMessage[]): { key: string; value: string }[] {
  return trades.map((t) => ({ key: t.symbol, value: JSON.stringify(t) }));
}

/** Sends one batch; resolves once every in-sync replica has it. */
export async function sendTrades(
  producer: Producer,
  topic: string,
  trades: readonly TradeMessage[],
): Promise<void> {
  await producer.send({ topic, acks: -1, messages: tradeRecords(trades) });
}
