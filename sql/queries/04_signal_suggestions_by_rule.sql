-- Suppression suggestions per rule: which behaviours of which image keep raising a rule although the profile says
-- they are normal, how many signals each suggestion covers, and whether it was accepted (an active suppression).
-- Parameters: none. Add  AND rule_id = '...'  to the WHERE clause for one rule.
SELECT
    rule_id,
    image_name,
    suggestion_description,
    suggestion_expression,
    count() AS signals,
    uniqExact(image_tag) AS versions,
    round(max(evidence_commonality), 3) AS node_commonality,
    max(evidence_snapshot_count) AS snapshot_count,
    (rule_id, image_name, suggestion_node_id) IN
    (
        SELECT rule_id, image_name, node_id FROM suppressions FINAL WHERE removed = 0
    ) AS accepted
FROM enriched_signals FINAL
WHERE has_suggestion = 1
GROUP BY rule_id, image_name, suggestion_node_id, suggestion_description, suggestion_expression
ORDER BY rule_id, signals DESC, image_name;
