-- Profiles grouped by image name: every version with its status, snapshot count, commonality and last update.
-- Parameters: param_image = '' lists every image; an image name lists only its versions.
WITH
    '' AS param_image
SELECT
    image_name,
    image_tag,
    status,
    snapshot_count,
    container_count,
    host_count,
    node_count,
    round(commonality, 3) AS profile_commonality,
    last_updated,
    revision
FROM profiles_latest
WHERE param_image = '' OR image_name = param_image
ORDER BY image_name, image_tag;
