-- Column comments: what every column holds, shown by DESCRIBE TABLE and system.columns, and rendered into the data
-- dictionary of sql/README.md (a test keeps the two equal). 18.16 ignores COMMENT in ADD COLUMN, so a migration that adds
-- a column comments it with ALTER TABLE … COMMENT COLUMN, as here. The *_latest views show their table's comments.

ALTER TABLE profiles
    COMMENT COLUMN image_name 'Image name (container.image.name), e.g. nginx or registry.local/team/api',
    COMMENT COLUMN image_tag 'Image version (container.image.tag); one profile per image name and version',
    COMMENT COLUMN revision 'Grows with every change of the profile; the latest state is the greatest revision',
    COMMENT COLUMN status 'Learning, or Stable (immutable) after Profiles:StableSnapshotCount snapshots or Profiles:StableAfterHours',
    COMMENT COLUMN snapshot_count 'Activity snapshots merged into the profile',
    COMMENT COLUMN container_count 'Distinct containers whose snapshots were merged',
    COMMENT COLUMN host_count 'Distinct hosts those containers ran on',
    COMMENT COLUMN node_count 'Behaviour nodes (processes, files, DNS names, connections) in the profile',
    COMMENT COLUMN rejected_snapshots 'Snapshots that arrived after the profile turned Stable: counted, not merged',
    COMMENT COLUMN duplicate_snapshots 'Snapshots replayed after they were merged: counted, not merged twice',
    COMMENT COLUMN commonality 'Profile commonality: pooled overlap of all snapshot pairs (1 = identical snapshots, 0 = disjoint)',
    COMMENT COLUMN first_processed 'When the first snapshot was merged (UTC, seconds)',
    COMMENT COLUMN first_processed_us 'When the first snapshot was merged, microseconds since the epoch',
    COMMENT COLUMN last_updated 'Last change of the profile (UTC, seconds)',
    COMMENT COLUMN last_updated_us 'Last change of the profile, microseconds since the epoch',
    COMMENT COLUMN stable_since_us 'When the profile turned Stable, microseconds since the epoch; NULL while Learning',
    COMMENT COLUMN snapshot_ids 'Ids of the merged snapshots (join snapshots.snapshot_id)',
    COMMENT COLUMN container_ids 'Ids of the containers whose snapshots were merged',
    COMMENT COLUMN host_names 'Hosts those containers ran on';

ALTER TABLE profile_nodes
    COMMENT COLUMN image_name 'Image name of the profile',
    COMMENT COLUMN image_tag 'Image version of the profile',
    COMMENT COLUMN node_id 'Node id: stable 64-bit hash of (parent id, kind, key); the same behaviour has the same id in every profile',
    COMMENT COLUMN parent_id 'Id of the process node this node sits under; 0 = the container root',
    COMMENT COLUMN kind 'process, file, dns or network',
    COMMENT COLUMN key 'The normalized key that was hashed: executable and argv pattern, path, DNS name or transport/port/address class',
    COMMENT COLUMN depth 'Depth in the tree; 0 = a top-level process of the container',
    COMMENT COLUMN ancestry 'Keys from the top-level process down to this node; ORDER BY ancestry lists the tree depth-first',
    COMMENT COLUMN snapshot_count 'Merged snapshots that contained the node',
    COMMENT COLUMN container_count 'Distinct containers whose snapshots contained the node',
    COMMENT COLUMN event_count 'Kernel events behind the node, summed over the merged snapshots',
    COMMENT COLUMN commonality 'Node commonality: snapshot_count / snapshots merged into the profile',
    COMMENT COLUMN container_commonality 'Container commonality: container_count / containers merged into the profile',
    COMMENT COLUMN access 'File nodes: the accesses seen, r, w or rw; empty for other kinds',
    COMMENT COLUMN first_seen 'First time the behaviour was seen (UTC, seconds)',
    COMMENT COLUMN first_seen_us 'First time the behaviour was seen, microseconds since the epoch',
    COMMENT COLUMN last_seen 'Last time the behaviour was seen (UTC, seconds)',
    COMMENT COLUMN last_seen_us 'Last time the behaviour was seen, microseconds since the epoch',
    COMMENT COLUMN revision 'Profile revision this row belongs to; the greatest wins';

ALTER TABLE snapshots
    COMMENT COLUMN snapshot_id 'Deterministic id (container id and window start), so a replayed snapshot collapses onto its first copy',
    COMMENT COLUMN image_name 'Image name of the container',
    COMMENT COLUMN image_tag 'Image version of the container',
    COMMENT COLUMN container_id 'The container the snapshot describes',
    COMMENT COLUMN host_name 'Host the container ran on',
    COMMENT COLUMN window_start 'Start of the snapshot window (UTC, seconds)',
    COMMENT COLUMN window_start_us 'Start of the snapshot window, microseconds since the epoch',
    COMMENT COLUMN window_end_us 'End of the snapshot window, microseconds since the epoch',
    COMMENT COLUMN first_event_us 'First event in the window, microseconds since the epoch',
    COMMENT COLUMN last_event_us 'Last event in the window, microseconds since the epoch',
    COMMENT COLUMN event_count 'Kernel events in the window',
    COMMENT COLUMN node_count 'Behaviour nodes in the snapshot',
    COMMENT COLUMN closed_by_exit '1 when the container exited before the window ended',
    COMMENT COLUMN truncated '1 when a size cap was hit; dropped_nodes and dropped_events say how much is missing',
    COMMENT COLUMN dropped_nodes 'Nodes not recorded because of the caps',
    COMMENT COLUMN dropped_events 'Events not recorded because of the caps';

ALTER TABLE snapshot_nodes
    COMMENT COLUMN snapshot_id 'The snapshot (snapshots.snapshot_id)',
    COMMENT COLUMN image_name 'Image name of the container',
    COMMENT COLUMN image_tag 'Image version of the container',
    COMMENT COLUMN window_start 'Start of the snapshot window (UTC, seconds)',
    COMMENT COLUMN node_id 'Node id, as in profile_nodes',
    COMMENT COLUMN parent_id 'Id of the process node above; 0 = the container root',
    COMMENT COLUMN kind 'process, file, dns or network',
    COMMENT COLUMN key 'The normalized key that was hashed',
    COMMENT COLUMN event_count 'Kernel events behind the node in this snapshot',
    COMMENT COLUMN access 'File nodes: r, w or rw; empty for other kinds',
    COMMENT COLUMN first_seen_us 'First time seen in this snapshot, microseconds since the epoch',
    COMMENT COLUMN last_seen_us 'Last time seen in this snapshot, microseconds since the epoch';

ALTER TABLE enriched_signals
    COMMENT COLUMN signal_id 'Deterministic id (rule, container, event), so a replayed signal collapses onto the same row',
    COMMENT COLUMN rule_id 'rule.id: the rule that fired (wp.* built-in, wp.drift.* drift, falco.* bridged Falco rules)',
    COMMENT COLUMN rule_name 'rule.name',
    COMMENT COLUMN severity 'Info, Low, Medium, High or Critical',
    COMMENT COLUMN source 'rules (the built-in engine), falco (the Falco bridge) or another producer',
    COMMENT COLUMN timestamp 'When the behaviour happened (UTC, seconds; the partition key)',
    COMMENT COLUMN timestamp_us 'When the behaviour happened, microseconds since the epoch',
    COMMENT COLUMN container_id 'container.id',
    COMMENT COLUMN image_name 'container.image.name',
    COMMENT COLUMN image_tag 'container.image.tag',
    COMMENT COLUMN host_name 'host.name',
    COMMENT COLUMN message 'Human-readable description of what happened',
    COMMENT COLUMN tags 'The rule''s tags (MITRE ATT&CK technique ids and mitre_<tactic> among them)',
    COMMENT COLUMN behaviour_kind 'process, file, dns or network',
    COMMENT COLUMN behaviour_process 'Executable of the acting process''s node',
    COMMENT COLUMN behaviour_detail 'File path, DNS name or transport/address:port of the behaviour',
    COMMENT COLUMN has_profile '1 when the image@version had a profile at enrichment',
    COMMENT COLUMN profile_status 'Learning or Stable at enrichment; empty without a profile',
    COMMENT COLUMN profile_snapshot_count 'Snapshots in the profile at enrichment',
    COMMENT COLUMN profile_commonality 'Profile commonality at enrichment',
    COMMENT COLUMN behaviour_in_profile '1 when the behaviour''s node is in the profile',
    COMMENT COLUMN node_id 'The profile node the behaviour maps to; NULL when there was no profile',
    COMMENT COLUMN node_commonality 'Commonality of that node; NULL when it is not in the profile',
    COMMENT COLUMN node_container_commonality 'Container commonality of that node; NULL when it is not in the profile',
    COMMENT COLUMN has_suggestion '1 when a suppression was suggested',
    COMMENT COLUMN suggestion_node_id 'Node the suggested suppression is scoped to; 0 without a suggestion',
    COMMENT COLUMN suggestion_expression 'The suggested suppression expression (image name and node, never broader)',
    COMMENT COLUMN suggestion_description 'The suggested behaviour in words, e.g. /usr/sbin/nginx › /bin/sh -c *',
    COMMENT COLUMN evidence_commonality 'Evidence: node commonality the suggestion was judged on',
    COMMENT COLUMN evidence_container_commonality 'Evidence: container commonality of the node',
    COMMENT COLUMN evidence_snapshot_count 'Evidence: snapshots in the profile',
    COMMENT COLUMN evidence_first_seen_us 'Evidence: first time the node was seen, microseconds since the epoch',
    COMMENT COLUMN evidence_last_seen_us 'Evidence: last time the node was seen, microseconds since the epoch',
    COMMENT COLUMN no_suggestion_reason 'Why there is no suggestion (no profile, node unseen, below the threshold, …)',
    COMMENT COLUMN enriched_at_us 'When the signal was enriched, microseconds since the epoch; the latest enrichment wins',
    COMMENT COLUMN process_pid 'process.pid of the acting process (host pid namespace); 0 when unknown',
    COMMENT COLUMN process_ppid 'process.parent.pid; 0 when unknown',
    COMMENT COLUMN process_uid 'user.id of the acting process',
    COMMENT COLUMN process_executable 'process.executable: the binary the acting process runs',
    COMMENT COLUMN process_args 'process.args including argv[0]',
    COMMENT COLUMN process_working_directory 'process.working_directory; empty when not captured',
    COMMENT COLUMN process_start_us 'process.start, microseconds since the epoch; 0 when unknown',
    COMMENT COLUMN process_ancestry 'The real ancestry, root first, each entry "pid executable argv…"';

ALTER TABLE suppressions
    COMMENT COLUMN suppression_id 'Deterministic id (rule, image, node): accepting the same suggestion twice yields one suppression',
    COMMENT COLUMN rule_id 'The rule that stops firing',
    COMMENT COLUMN image_name 'The image it applies to (every version)',
    COMMENT COLUMN node_id 'The behaviour node it applies to',
    COMMENT COLUMN expression 'The suppression expression',
    COMMENT COLUMN description 'The behaviour in words',
    COMMENT COLUMN created_by 'Who accepted it',
    COMMENT COLUMN created_at 'When it was accepted (UTC, seconds)',
    COMMENT COLUMN created_at_us 'When it was accepted, microseconds since the epoch',
    COMMENT COLUMN removed '1 once removed (the row is kept with who and when)',
    COMMENT COLUMN removed_by 'Who removed it; empty while active',
    COMMENT COLUMN removed_at_us 'When it was removed, microseconds since the epoch; NULL while active',
    COMMENT COLUMN from_signal_id 'The signal whose suggestion was accepted, if any',
    COMMENT COLUMN version 'Last change (creation or removal); the greatest wins';

ALTER TABLE containers
    COMMENT COLUMN container_id 'container.id',
    COMMENT COLUMN name 'container.name',
    COMMENT COLUMN image_name 'container.image.name; empty while the agent has not resolved the image',
    COMMENT COLUMN image_tag 'container.image.tag',
    COMMENT COLUMN host_name 'Host the container runs on',
    COMMENT COLUMN state 'Running or Exited',
    COMMENT COLUMN profiled '1 while the agent holds a profiling slot for the container',
    COMMENT COLUMN started_at 'When the container started (UTC, seconds)',
    COMMENT COLUMN started_at_us 'When the container started, microseconds since the epoch',
    COMMENT COLUMN profiling_since_us 'When its current profiling session began; NULL when not profiled',
    COMMENT COLUMN exited_at_us 'When it exited; NULL while running',
    COMMENT COLUMN cgroup_id 'cgroup v2 id (inode of the cgroup directory) the kernel stamps on events',
    COMMENT COLUMN updated_at_us 'Last inventory update, microseconds since the epoch; the latest wins';

-- Columns of 006 (argument signatures), 007 (Kubernetes) and 008 (drift, profile truncation).
ALTER TABLE profile_nodes
    COMMENT COLUMN signatures 'Process nodes: the argument signatures seen for this node (normalized arguments after argv[0]), at most 32 per node',
    COMMENT COLUMN signature_snapshot_counts 'Snapshots that contained each signature, in the order of signatures',
    COMMENT COLUMN signature_commonalities 'Commonality of each signature (its snapshots / the profile''s snapshots), in the order of signatures',
    COMMENT COLUMN signatures_overflowed '1 when the node saw more signatures than the profile keeps: an unseen signature may have been normal, so it never gets a suggestion';

ALTER TABLE snapshot_nodes
    COMMENT COLUMN signatures 'Process nodes: the argument signatures of the processes that acted as this node in the window',
    COMMENT COLUMN signatures_overflowed '1 when the node had more distinct signatures in the window than a snapshot keeps';

ALTER TABLE enriched_signals
    COMMENT COLUMN profile_threshold 'The commonality threshold the suggestion was judged against (Suggestions:MinNodeCommonality)',
    COMMENT COLUMN suggestion_signatures 'The argument signatures the suggestion covers, one per process of the ancestry, root first',
    COMMENT COLUMN evidence_signature_commonality 'The lowest commonality of those signatures in their nodes',
    COMMENT COLUMN orchestrator_namespace 'Kubernetes namespace of the pod (orchestrator.namespace); empty outside Kubernetes',
    COMMENT COLUMN orchestrator_pod_name 'Kubernetes pod name; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_pod_uid 'Kubernetes pod uid; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_container_name 'The container''s name in its pod; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_workload_kind 'Owning workload kind (Deployment, StatefulSet, DaemonSet, Job); empty when no workload owns the pod',
    COMMENT COLUMN orchestrator_workload_name 'Owning workload name',
    COMMENT COLUMN profile_closest_node_id 'When the behaviour is not in the profile: the deepest process node of its ancestry the profile knows; NULL otherwise',
    COMMENT COLUMN profile_closest_node_key 'The normalized key of profile_closest_node_id',
    COMMENT COLUMN behaviour_signatures 'The argument signatures of the behaviour''s ancestry, root first (what allowing a drift scopes its suppression to)';

ALTER TABLE suppressions
    COMMENT COLUMN signatures 'The argument signatures the suppression covers, one per process of the ancestry, root first; empty = any';

ALTER TABLE snapshots
    COMMENT COLUMN orchestrator_namespace 'Kubernetes namespace of the container''s pod; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_pod_name 'Kubernetes pod name; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_pod_uid 'Kubernetes pod uid; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_container_name 'The container''s name in its pod; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_workload_kind 'Owning workload kind (Deployment, StatefulSet, DaemonSet, Job); empty when no workload owns the pod',
    COMMENT COLUMN orchestrator_workload_name 'Owning workload name';

ALTER TABLE containers
    COMMENT COLUMN orchestrator_namespace 'Kubernetes namespace of the container''s pod; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_pod_name 'Kubernetes pod name; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_pod_uid 'Kubernetes pod uid; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_container_name 'The container''s name in its pod; empty outside Kubernetes',
    COMMENT COLUMN orchestrator_workload_kind 'Owning workload kind (Deployment, StatefulSet, DaemonSet, Job); empty when no workload owns the pod',
    COMMENT COLUMN orchestrator_workload_name 'Owning workload name',
    COMMENT COLUMN orchestrator_label_keys 'The pod''s label keys, sorted; a label''s value is at the position of its key',
    COMMENT COLUMN orchestrator_label_values 'The pod''s label values, in the order of orchestrator_label_keys';

ALTER TABLE profiles
    COMMENT COLUMN dropped_nodes 'New behaviours not taken because the profile reached its byte bound (under Kafka:MaxMessageBytes): the profile is not the whole story when above 0';
