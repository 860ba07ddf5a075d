-- Container inventory from the agents (compacted wp.containers): one row per container, the latest update wins.
CREATE TABLE IF NOT EXISTS containers
(
    container_id       String,
    name               String,
    image_name         LowCardinality(String),       -- '' while the agent has not resolved the image
    image_tag          String,
    host_name          LowCardinality(String),
    state              LowCardinality(String),       -- 'Running' | 'Exited'
    profiled           UInt8,                        -- the agent holds a profiling slot for it
    started_at         DateTime('UTC'),
    started_at_us      Int64,
    profiling_since_us Nullable(Int64),
    exited_at_us       Nullable(Int64),
    cgroup_id          UInt64,
    updated_at_us      UInt64                        -- version
)
ENGINE = ReplacingMergeTree(updated_at_us)
ORDER BY container_id;
