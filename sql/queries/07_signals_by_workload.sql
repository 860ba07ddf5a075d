-- Signals per Kubernetes namespace and owning workload (Deployment/shop, StatefulSet/db, …; Pod/<name> for a pod no
-- workload owns, '' outside Kubernetes): how many, of which rules, how many pods, how many the profiles would suppress.
-- Parameters: param_namespace = '' for every namespace (and signals outside Kubernetes), or one namespace.
WITH
    '' AS param_namespace
SELECT
    orchestrator_namespace AS namespace,
    if(orchestrator_workload_kind != '', concat(orchestrator_workload_kind, '/', orchestrator_workload_name),
       if(orchestrator_pod_name != '', concat('Pod/', orchestrator_pod_name), '')) AS workload,
    count() AS signals,
    uniqExact(rule_id) AS rules,
    uniqExact(orchestrator_pod_uid) AS pods,
    countIf(has_suggestion = 1) AS suggested,
    max(severity = 'Critical') AS any_critical
FROM enriched_signals_latest
WHERE param_namespace = '' OR orchestrator_namespace = param_namespace
GROUP BY namespace, workload
ORDER BY signals DESC, namespace, workload;
