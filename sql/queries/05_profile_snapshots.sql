-- The snapshots merged into one profile (latest revision), oldest window first.
-- Parameters: image 'nginx', version '1.26' (edit the literals in both WHERE clauses).
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
FROM snapshots FINAL
WHERE image_name = 'nginx' AND image_tag = '1.26'
  AND snapshot_id IN
  (
      SELECT arrayJoin(snapshot_ids)
      FROM
      (
          SELECT snapshot_ids
          FROM profiles
          WHERE image_name = 'nginx' AND image_tag = '1.26'
          ORDER BY revision DESC
          LIMIT 1
      )
  )
ORDER BY window_start, snapshot_id;
