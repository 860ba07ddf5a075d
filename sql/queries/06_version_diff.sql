-- What changed between two versions of an image: behaviours only the new version has (added) and behaviours only
-- the old one had (removed). Node ids hash (parent, kind, key), so the same behaviour has the same id in both.
-- Parameters: the image, the old version and the new version.
WITH
    'localhost/wp-demo' AS param_image,
    '0.9' AS param_old_version,
    '1.0' AS param_new_version
SELECT
    if(has(groupUniqArray(image_tag), param_new_version), 'added', 'removed') AS change,
    any(kind) AS node_kind,
    node_id,
    arrayStringConcat(any(ancestry), ' › ') AS behaviour,
    round(max(commonality), 3) AS node_commonality
FROM profile_nodes_latest
WHERE image_name = param_image AND image_tag IN (param_old_version, param_new_version)
GROUP BY node_id
HAVING uniqExact(image_tag) = 1
ORDER BY change, behaviour;
