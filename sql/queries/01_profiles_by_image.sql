-- Profiles grouped by image name: every version with its status, snapshot count, commonality and last update.
-- Parameters: none (all images). To look at one image, add  WHERE image_name = 'nginx'  before ORDER BY.
SELECT
    image_name,
    image_tag,
    status,
    snapshot_count,
    container_count,
    host_count,
    node_count,
    round(commonality, 3) AS commonality,
    last_updated,
    revision
FROM profiles
ORDER BY image_name, image_tag, revision DESC
LIMIT 1 BY image_name, image_tag;
