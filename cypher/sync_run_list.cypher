MATCH (r:SyncRun)
WHERE ($segment IS NULL OR r.segment = $segment)
  AND ($destination IS NULL OR r.destination = $destination)
RETURN r {.*} AS run
ORDER BY r.started_at DESC, r.id
LIMIT $limit
