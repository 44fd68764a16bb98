MATCH (r:SyncRun {id: $id})
SET r += $props
RETURN r {.*} AS run
