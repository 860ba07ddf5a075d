-- Suppression suggestions per rule: which behaviours of which image keep raising a rule although the profile says
-- they are normal, how many signals each suggestion covers, and whether it was accepted (an active suppression).
-- Parameters: param_rule = '' for every rule, or one rule id (e.g. 'wp.mining-port').
WITH
    '' AS param_rule
SELECT
    rule_id,
    image_name,
    suggestion_node_id AS node_id,
    suggestion_description,
    suggestion_expression,
    count() AS signals,
    uniqExact(image_tag) AS versions,
    round(max(evidence_commonality), 3) AS node_commonality,
    max(evidence_snapshot_count) AS snapshot_count,
    (rule_id, image_name, suggestion_node_id) IN
    (
        SELECT rule_id, image_name, node_id FROM suppressions_latest WHERE removed = 0
    ) AS accepted
FROM enriched_signals_latest
WHERE has_suggestion = 1 AND (param_rule = '' OR rule_id = param_rule)
GROUP BY rule_id, image_name, suggestion_node_id, suggestion_description, suggestion_expression
ORDER BY rule_id, signals DESC, image_name;
