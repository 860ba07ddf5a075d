-- The process tree of one profile, depth-first, each process followed by what it did (files, DNS, network),
-- with node commonality (share of snapshots) and container commonality (share of containers).
-- Parameters: the image and its version.
WITH
    'localhost/wp-demo' AS param_image,
    '1.0' AS param_version
SELECT
    concat(arrayStringConcat(arrayMap(level -> '    ', range(toUInt64(depth)))), key) AS behaviour,
    kind,
    node_id,
    round(commonality, 3) AS node_commonality,
    round(container_commonality, 3) AS node_container_commonality,
    snapshot_count,
    access,
    first_seen,
    last_seen
FROM profile_nodes_latest
WHERE image_name = param_image AND image_tag = param_version
ORDER BY ancestry;
