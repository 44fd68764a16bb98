MATCH (r:SyncRun {id: $id})
RETURN r {.*} AS run
