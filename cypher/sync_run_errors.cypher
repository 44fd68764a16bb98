// The per-row error log of a run: pids and redacted reasons, never personal data.
MATCH (r:SyncRun {id: $run})
UNWIND $rows AS row
CREATE (r)-[:HAD_ERROR]->(:SyncError {
  run: $run, pid: row.pid, action: row.action, reason: row.reason, retryable: row.retryable
})
