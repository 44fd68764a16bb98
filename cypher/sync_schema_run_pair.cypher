CREATE INDEX syncrun_segment_destination_idx IF NOT EXISTS FOR (n:SyncRun) ON (n.segment, n.destination)
