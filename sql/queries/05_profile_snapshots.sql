-- The snapshots merged into one profile (its latest revision), oldest window first.
-- Parameters: the image and its version.
WITH
    'localhost/wp-demo' AS param_image,
    '1.0' AS param_version
SELECT
    snapshot_id,
    container_id,
    host_name,
    window_start,
    event_count,
    node_count,
    truncated,
    dropped_nodes,
    dropped_events
FROM snapshots_latest
WHERE image_name = param_image AND image_tag = param_version
  -- Snapshot ids name their container and window, so the merged ids of all profiles select this profile's only.
  AND snapshot_id IN (SELECT arrayJoin(snapshot_ids) FROM profiles_latest)
ORDER BY window_start, snapshot_id;
