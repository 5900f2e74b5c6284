"""The seed's producer client, kafka-python, sending the same messages as our simulator producer.

Usage: python3 producer_kafka_python.py BOOTSTRAP TOPIC MESSAGES_FILE
MESSAGES_FILE holds one `key<TAB>json value` line per trade (written by bench/pipeline.ts from
the same seeded simulator). All lines are read first (not timed); then every message is sent as
fast as the client takes them, keyed by symbol, acks=all, and flushed. Prints one JSON line:
messages, seconds (first send to flush returned).
"""

import json
import sys
import time

from kafka import KafkaProducer


def main() -> None:
    bootstrap, topic, path = sys.argv[1:4]
    with open(path, "rb") as f:
        pairs = [line.rstrip(b"\n").split(b"\t", 1) for line in f if line.strip()]
    # The seed's settings plus acks=all (ours and ProducerPerformance use acks=all too); the
    # default batching (16 KiB batches, linger 0) is what a seed-style script gets.
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    # Metadata for the topic before timing starts, as our producer has it after connect.
    producer.partitions_for(topic)
    started = time.perf_counter()
    for key, value in pairs:
        producer.send(topic, key=key, value=value)
    producer.flush()
    seconds = time.perf_counter() - started
    producer.close()
    print(json.dumps({"messages": len(pairs), "seconds": seconds}))


if __name__ == "__main__":
    main()
