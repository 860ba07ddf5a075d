-- Enriched signals (with the profile context and the suppression suggestion, if any) and suppressions.

-- signal_id is deterministic (rule + container + event); the latest enrichment of a signal wins.
CREATE TABLE IF NOT EXISTS enriched_signals
(
    signal_id                  String,
    rule_id                    LowCardinality(String),
    rule_name                  String,
    severity                   LowCardinality(String),   -- 'Info' .. 'Critical'
    source                     LowCardinality(String),   -- 'rules' | 'falco'
    timestamp                  DateTime('UTC'),
    timestamp_us               Int64,
    container_id               String,
    image_name                 LowCardinality(String),
    image_tag                  String,
    host_name                  LowCardinality(String),
    message                    String,
    tags                       Array(String),
    behaviour_kind             LowCardinality(String),   -- 'process' | 'file' | 'dns' | 'network'
    behaviour_process          String,                   -- executable of the acting process
    behaviour_detail           String,                   -- file path, DNS name or transport/address:port
    has_profile                UInt8,
    profile_status             LowCardinality(String),   -- '' when there is no profile
    profile_snapshot_count     UInt64,
    profile_commonality        Float64,
    behaviour_in_profile       UInt8,
    node_id                    Nullable(UInt64),
    node_commonality           Nullable(Float64),
    node_container_commonality Nullable(Float64),
    has_suggestion             UInt8,
    suggestion_node_id         UInt64,
    suggestion_expression      String,
    suggestion_description     String,
    evidence_commonality       Float64,
    evidence_container_commonality Float64,
    evidence_snapshot_count    UInt64,
    evidence_first_seen_us     Int64,
    evidence_last_seen_us      Int64,
    no_suggestion_reason       String,
    enriched_at_us             UInt64                    -- version: the latest enrichment wins
)
ENGINE = ReplacingMergeTree(enriched_at_us)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (rule_id, image_name, image_tag, signal_id);

-- One row per suppression id; version = the last change (creation or removal), so a removal supersedes the creation.
CREATE TABLE IF NOT EXISTS suppressions
(
    suppression_id String,
    rule_id        LowCardinality(String),
    image_name     LowCardinality(String),
    node_id        UInt64,
    expression     String,
    description    String,
    created_by     String,
    created_at     DateTime('UTC'),
    created_at_us  Int64,
    removed        UInt8,
    removed_by     String,
    removed_at_us  Nullable(Int64),
    from_signal_id String,
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY suppression_id;
