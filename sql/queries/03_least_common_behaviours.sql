-- The least common behaviours across Stable profiles: the rare things an image does, worth a look.
-- Parameters: param_image = '' looks at every image, or one image name. Change LIMIT (last line) for more rows.
WITH
    '' AS param_image
SELECT
    image_name,
    image_tag,
    kind,
    node_id,
    arrayStringConcat(ancestry, ' › ') AS behaviour,
    round(commonality, 3) AS node_commonality,
    round(container_commonality, 3) AS node_container_commonality,
    snapshot_count
FROM profile_nodes_latest
WHERE (param_image = '' OR image_name = param_image)
  AND (image_name, image_tag) IN (SELECT image_name, image_tag FROM profiles_latest WHERE status = 'Stable')
ORDER BY node_commonality ASC, node_container_commonality ASC, image_name, image_tag, behaviour
LIMIT 20;
