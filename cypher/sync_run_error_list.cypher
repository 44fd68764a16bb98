MATCH (:SyncRun {id: $run})-[:HAD_ERROR]->(e:SyncError)
RETURN e {.pid, .action, .reason, .retryable} AS error
ORDER BY e.action, e.pid
LIMIT $limit
