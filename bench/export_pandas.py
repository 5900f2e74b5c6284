"""The same export as `volatility-insight export`, done with pandas + pyarrow, for comparison.

Usage: python3 export_pandas.py DB FORMAT OUT [ROW_GROUP_SIZE]
Prints one JSON line: rows, seconds, peak RSS (VmHWM, kB).
Same columns and order, same timestamp text (ISO-8601 UTC with milliseconds), same Parquet
types (timestamp[ms, UTC], int64, int32 partition, bool, string) and SNAPPY compression.
"""

import json
import sqlite3
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = [
    "ts", "symbol", "price", "volume", "log_return", "vol_1m", "vol_5m", "ewma_vol", "vwap_5m",
    "session", "exchange", "sector", "weather_temp_c", "weather_condition", "kafka_partition",
    "kafka_offset", "vol_1m_ann", "vol_5m_ann", "ewma_vol_ann", "late", "company", "weather_error",
]
SQL = (
    f"SELECT {', '.join(COLUMNS)} FROM enriched_trades "
    "ORDER BY ts, symbol, kafka_offset, kafka_partition"
)
SCHEMA = pa.schema(
    [
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("symbol", pa.string()),
        ("price", pa.float64()),
        ("volume", pa.int64()),
        ("log_return", pa.float64()),
        ("vol_1m", pa.float64()),
        ("vol_5m", pa.float64()),
        ("ewma_vol", pa.float64()),
        ("vwap_5m", pa.float64()),
        ("session", pa.string()),
        ("exchange", pa.string()),
        ("sector", pa.string()),
        ("weather_temp_c", pa.float64()),
        ("weather_condition", pa.string()),
        ("kafka_partition", pa.int32()),
        ("kafka_offset", pa.int64()),
        ("vol_1m_ann", pa.float64()),
        ("vol_5m_ann", pa.float64()),
        ("ewma_vol_ann", pa.float64()),
        ("late", pa.bool_()),
        ("company", pa.string()),
        ("weather_error", pa.string()),
    ]
)


def peak_rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    db, fmt, out = sys.argv[1], sys.argv[2], sys.argv[3]
    chunk = int(sys.argv[4]) if len(sys.argv) > 4 else 131072
    start = time.perf_counter()
    cpu_start = time.process_time()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = 0
    writer = None
    with open(out, "w", encoding="utf-8", newline="") if fmt == "csv" else open(out, "wb") as f:
        for df in pd.read_sql_query(SQL, con, chunksize=chunk, dtype_backend="numpy_nullable"):
            rows += len(df)
            df = df.rename(columns={"ts": "timestamp"})
            df["late"] = df["late"].astype(bool)
            if fmt == "csv":
                ts = df["timestamp"].to_numpy(dtype="int64").astype("datetime64[ms]")
                df["timestamp"] = np.char.add(np.datetime_as_string(ts, unit="ms"), "Z")
                df["late"] = np.where(df["late"].to_numpy(), "true", "false")
                df.to_csv(f, header=(writer is None), index=False, lineterminator="\n")
                writer = True
            else:
                df["timestamp"] = pd.to_datetime(df["timestamp"], unit="ms", utc=True)
                table = pa.Table.from_pandas(df, schema=SCHEMA, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(f, SCHEMA, compression="snappy")
                writer.write_table(table, row_group_size=chunk)
        if fmt == "parquet":
            if writer is None:
                writer = pq.ParquetWriter(f, SCHEMA, compression="snappy")
            writer.close()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    print(json.dumps({"rows": rows, "seconds": elapsed, "cpuSeconds": cpu, "peakRssKb": peak_rss_kb()}))


if __name__ == "__main__":
    main()
