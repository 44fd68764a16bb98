// The journal entries of write phases that have not completed (running or dead).
MATCH (r:ResolveRun)
RETURN r.id AS id, r.mode AS mode, r.host AS host, r.pid AS pid,
       r.heartbeat_at AS heartbeat_at, r.failed_at AS failed_at
