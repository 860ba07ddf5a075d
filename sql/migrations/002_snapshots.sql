-- Activity snapshots (one container, one window) and the behaviour nodes each one saw.
-- snapshot_id is deterministic (container id + window start), so a replayed snapshot collapses onto its first copy.

CREATE TABLE IF NOT EXISTS snapshots
(
    snapshot_id     String,
    image_name      LowCardinality(String),
    image_tag       String,
    container_id    String,
    host_name       LowCardinality(String),
    window_start    DateTime('UTC'),
    window_start_us Int64,
    window_end_us   Int64,
    first_event_us  Int64,
    last_event_us   Int64,
    event_count     UInt64,
    node_count      UInt64,
    closed_by_exit  UInt8,
    truncated       UInt8,                           -- a cap was hit; dropped_nodes says how much is missing
    dropped_nodes   UInt64,
    dropped_events  UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (image_name, image_tag, snapshot_id);

CREATE TABLE IF NOT EXISTS snapshot_nodes
(
    snapshot_id   String,
    image_name    LowCardinality(String),
    image_tag     String,
    window_start  DateTime('UTC'),
    node_id       UInt64,
    parent_id     UInt64,
    kind          LowCardinality(String),
    key           String,
    event_count   UInt64,
    access        LowCardinality(String),
    first_seen_us Int64,
    last_seen_us  Int64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(window_start)
ORDER BY (image_name, image_tag, snapshot_id, node_id);
