-- Argument signatures (the normalized arguments an exec ran with): per process node of a profile, with the snapshots
-- that contained each (commonality = count / snapshots), per process node of a snapshot; on a suggestion and a
-- suppression, one per process of the ancestry, root first. The enrichment's threshold travels with the signal.
ALTER TABLE profile_nodes
    ADD COLUMN signatures Array(String) DEFAULT [],
    ADD COLUMN signature_snapshot_counts Array(UInt64) DEFAULT [],
    ADD COLUMN signature_commonalities Array(Float64) DEFAULT [],
    ADD COLUMN signatures_overflowed UInt8 DEFAULT 0;

ALTER TABLE snapshot_nodes
    ADD COLUMN signatures Array(String) DEFAULT [],
    ADD COLUMN signatures_overflowed UInt8 DEFAULT 0;

ALTER TABLE enriched_signals
    ADD COLUMN profile_threshold Float64 DEFAULT 0,
    ADD COLUMN suggestion_signatures Array(String) DEFAULT [],
    ADD COLUMN evidence_signature_commonality Float64 DEFAULT 0;

ALTER TABLE suppressions
    ADD COLUMN signatures Array(String) DEFAULT [];
