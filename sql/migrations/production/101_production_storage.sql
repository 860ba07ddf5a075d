-- PRODUCTION ONLY. Storage improvements a current ClickHouse accepts and 18.16 does not (TTL, codecs, skip indexes).
-- The migrator applies this file only when SELECT version() is at least the version below, and never records it
-- otherwise, so it runs after the server is upgraded. It never runs against the local 18.16 server.
-- min-server-version: 22.8

-- Raw per-snapshot detail is the bulky part; profiles keep the aggregate forever.
ALTER TABLE snapshot_nodes MODIFY TTL window_start + INTERVAL 90 DAY;
ALTER TABLE snapshots MODIFY TTL window_start + INTERVAL 180 DAY;
ALTER TABLE enriched_signals MODIFY TTL timestamp + INTERVAL 365 DAY;

-- Keys and paths repeat heavily between snapshots: ZSTD on top of LZ4's dictionary-less blocks.
ALTER TABLE snapshot_nodes MODIFY COLUMN key String CODEC(ZSTD(3));
ALTER TABLE profile_nodes MODIFY COLUMN key String CODEC(ZSTD(3));
ALTER TABLE snapshot_nodes MODIFY COLUMN first_seen_us Int64 CODEC(Delta, ZSTD(1));
ALTER TABLE snapshot_nodes MODIFY COLUMN last_seen_us Int64 CODEC(Delta, ZSTD(1));
ALTER TABLE enriched_signals MODIFY COLUMN message String CODEC(ZSTD(3));

-- Point look-ups the explorer does by id outside the sorting key.
ALTER TABLE enriched_signals ADD INDEX IF NOT EXISTS signal_id_bloom signal_id TYPE bloom_filter(0.01) GRANULARITY 4;
ALTER TABLE snapshots ADD INDEX IF NOT EXISTS container_id_bloom container_id TYPE bloom_filter(0.01) GRANULARITY 4;
ALTER TABLE profile_nodes ADD INDEX IF NOT EXISTS node_id_minmax node_id TYPE minmax GRANULARITY 4;
