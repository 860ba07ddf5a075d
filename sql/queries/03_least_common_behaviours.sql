-- The least common behaviours across all Stable profiles: the rare things an image does, worth a look.
-- Parameters: none. Change LIMIT for more rows.
SELECT
    image_name,
    image_tag,
    kind,
    arrayStringConcat(ancestry, ' › ') AS behaviour,
    round(commonality, 3) AS commonality,
    round(container_commonality, 3) AS container_commonality,
    snapshot_count
FROM profile_nodes FINAL
WHERE (image_name, image_tag) IN
(
    SELECT image_name, image_tag
    FROM profiles
    GROUP BY image_name, image_tag
    HAVING argMax(status, revision) = 'Stable'
)
ORDER BY commonality ASC, container_commonality ASC, image_name, image_tag, behaviour
LIMIT 20;
