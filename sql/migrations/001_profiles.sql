-- Profiles and their behaviour nodes (one profile per image@version).
-- Portable to ClickHouse 18.16: no TTL, codecs, skip indexes, DateTime64, Map or Bool (see DESIGN.md).
-- Every *_us column holds the exact microsecond value; the DateTime('UTC') next to it is for humans and partitions.

-- One row per image@version and revision. Revisions only grow, so a replay of the same record collapses
-- (same sorting key) and the latest state is the row with the greatest revision:
--   SELECT ... FROM profiles FINAL ORDER BY revision DESC LIMIT 1 BY image_name, image_tag
CREATE TABLE IF NOT EXISTS profiles
(
    image_name          LowCardinality(String),
    image_tag           String,
    revision            UInt64,
    status              LowCardinality(String),      -- 'Learning' | 'Stable'
    snapshot_count      UInt64,
    container_count     UInt64,
    host_count          UInt64,
    node_count          UInt64,
    rejected_snapshots  UInt64,                      -- arrived after Stable: counted, not merged
    duplicate_snapshots UInt64,                      -- replays: counted, not merged
    commonality         Float64,                     -- profile commonality (pooled snapshot-pair overlap)
    first_processed     DateTime('UTC'),
    first_processed_us  Int64,
    last_updated        DateTime('UTC'),
    last_updated_us     Int64,
    stable_since_us     Nullable(Int64),
    snapshot_ids        Array(String),
    container_ids       Array(String),
    host_names          Array(String)
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (image_name, image_tag, revision);

-- Behaviour nodes of a profile, one row per (image@version, node); the row of the greatest revision wins,
-- so the table always converges to the latest profile. Nodes never leave a profile (merging is a union).
CREATE TABLE IF NOT EXISTS profile_nodes
(
    image_name            LowCardinality(String),
    image_tag             String,
    node_id               UInt64,                    -- stable hash of (parent id, kind, key)
    parent_id             UInt64,                    -- 0 = the container root
    kind                  LowCardinality(String),    -- 'process' | 'file' | 'dns' | 'network'
    key                   String,                    -- the normalized key that was hashed
    depth                 UInt16,                    -- 0 = a top-level process of the container
    ancestry              Array(String),             -- keys from the top-level process down to this node:
                                                     -- ORDER BY ancestry lists the tree depth-first
    snapshot_count        UInt64,                    -- snapshots containing the node
    container_count       UInt64,                    -- distinct containers whose snapshots contained it
    event_count           UInt64,
    commonality           Float64,                   -- snapshot_count / snapshots merged into the profile
    container_commonality Float64,                   -- container_count / containers merged into the profile
    access                LowCardinality(String),    -- file nodes: '' | 'r' | 'w' | 'rw'
    first_seen            DateTime('UTC'),
    first_seen_us         Int64,
    last_seen             DateTime('UTC'),
    last_seen_us          Int64,
    revision              UInt64
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (image_name, image_tag, node_id);
