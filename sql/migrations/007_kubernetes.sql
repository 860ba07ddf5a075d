-- Kubernetes metadata (the contract's orchestrator record): the namespace, pod and owning workload of the container a
-- signal, snapshot or inventory row is about, so analysts group and filter by them; '' outside Kubernetes and for rows
-- written before. The inventory also keeps the pod's labels (join on container_id for them). Profiles stay keyed by
-- image@version. 18.16 has no ADD COLUMN IF NOT EXISTS: the migrator treats columns that already exist as added.
ALTER TABLE enriched_signals
    ADD COLUMN orchestrator_namespace LowCardinality(String) DEFAULT '',
    ADD COLUMN orchestrator_pod_name String DEFAULT '',
    ADD COLUMN orchestrator_pod_uid String DEFAULT '',
    ADD COLUMN orchestrator_container_name String DEFAULT '',
    ADD COLUMN orchestrator_workload_kind LowCardinality(String) DEFAULT '',
    ADD COLUMN orchestrator_workload_name String DEFAULT '';

ALTER TABLE snapshots
    ADD COLUMN orchestrator_namespace LowCardinality(String) DEFAULT '',
    ADD COLUMN orchestrator_pod_name String DEFAULT '',
    ADD COLUMN orchestrator_pod_uid String DEFAULT '',
    ADD COLUMN orchestrator_container_name String DEFAULT '',
    ADD COLUMN orchestrator_workload_kind LowCardinality(String) DEFAULT '',
    ADD COLUMN orchestrator_workload_name String DEFAULT '';

ALTER TABLE containers
    ADD COLUMN orchestrator_namespace LowCardinality(String) DEFAULT '',
    ADD COLUMN orchestrator_pod_name String DEFAULT '',
    ADD COLUMN orchestrator_pod_uid String DEFAULT '',
    ADD COLUMN orchestrator_container_name String DEFAULT '',
    ADD COLUMN orchestrator_workload_kind LowCardinality(String) DEFAULT '',
    ADD COLUMN orchestrator_workload_name String DEFAULT '',
    ADD COLUMN orchestrator_label_keys Array(String) DEFAULT [],   -- the pod's labels, sorted by key
    ADD COLUMN orchestrator_label_values Array(String) DEFAULT [];
