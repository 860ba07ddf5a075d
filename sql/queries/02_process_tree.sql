-- The process tree of one profile, depth-first, each process followed by what it did (files, DNS, network),
-- with node commonality (share of snapshots) and container commonality (share of containers).
-- Parameters: image 'nginx', version '1.26' (edit both literals in the WHERE clause).
SELECT
    concat(arrayStringConcat(arrayMap(level -> '    ', range(toUInt64(depth)))), key) AS behaviour,
    kind,
    round(commonality, 3) AS commonality,
    round(container_commonality, 3) AS container_commonality,
    snapshot_count,
    access,
    first_seen,
    last_seen
FROM profile_nodes FINAL
WHERE image_name = 'nginx' AND image_tag = '1.26'
ORDER BY ancestry;
