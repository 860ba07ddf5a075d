-- The acting process of every signal, as the kernel captured it (never a representative of its behaviour node), and its
-- real ancestry root first, each entry "pid executable argv…". 18.16 has no ADD COLUMN IF NOT EXISTS: the migrator
-- treats a column that already exists as added (a migration interrupted before it was recorded).
ALTER TABLE enriched_signals
    ADD COLUMN process_pid Int32 DEFAULT 0,
    ADD COLUMN process_ppid Int32 DEFAULT 0,
    ADD COLUMN process_uid UInt32 DEFAULT 0,
    ADD COLUMN process_executable String DEFAULT '',
    ADD COLUMN process_args Array(String) DEFAULT [],
    ADD COLUMN process_working_directory String DEFAULT '',
    ADD COLUMN process_start_us Int64 DEFAULT 0,
    ADD COLUMN process_ancestry Array(String) DEFAULT [];
