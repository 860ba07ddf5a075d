-- What changed between two versions of an image: behaviours only the new version has (added) and behaviours only
-- the old one had (removed). Node ids hash (parent, kind, key), so the same behaviour has the same id in both.
-- Parameters: image 'nginx', old version '1.26', new version '1.27' (edit the literals).
SELECT
    if(has(versions, '1.27'), 'added', 'removed') AS change,
    kind,
    behaviour,
    round(commonality, 3) AS commonality
FROM
(
    SELECT
        node_id,
        any(kind) AS kind,
        arrayStringConcat(any(ancestry), ' › ') AS behaviour,
        groupUniqArray(image_tag) AS versions,
        max(commonality) AS commonality
    FROM profile_nodes FINAL
    WHERE image_name = 'nginx' AND image_tag IN ('1.26', '1.27')
    GROUP BY node_id
)
WHERE length(versions) = 1
ORDER BY change, behaviour;
