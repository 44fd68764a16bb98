MATCH (b:IngestBatch)
WHERE b.status = 'running'
RETURN b.id AS id, b.host AS host, b.pid AS pid, b.heartbeat_at AS heartbeat_at
