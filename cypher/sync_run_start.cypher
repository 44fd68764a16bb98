CREATE (r:SyncRun {
  id: $id, segment: $segment, destination: $destination, started_at: $started_at,
  dry_run: $dry_run, status: 'running'
})
RETURN r.id AS id
