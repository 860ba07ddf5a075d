-- 008: drift context of enriched signals, and the nodes a profile dropped at its byte bound.
-- Drift context of a signal whose behaviour is not in its profile: the deepest process of its ancestry the profile knows
-- (where the unknown part begins), and the argument signatures of its ancestry, root first — what "allow" in the
-- explorer scopes a suppression to, together with the image and the behaviour's node.
ALTER TABLE enriched_signals
    ADD COLUMN profile_closest_node_id Nullable(UInt64) DEFAULT NULL,
    ADD COLUMN profile_closest_node_key String DEFAULT '',
    ADD COLUMN behaviour_signatures Array(String) DEFAULT [];

-- New behaviours a profile did not take because it reached its byte bound (ProfilePolicy.MaxBytes): a profile that is
-- not the whole story says so.
ALTER TABLE profiles
    ADD COLUMN dropped_nodes UInt64 DEFAULT 0;
