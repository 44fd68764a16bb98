CREATE (b:IngestBatch {
  id: $batch_id,
  source: $source,
  file: $file,
  mapping: $mapping,
  status: 'running',
  started_at: $now,
  heartbeat_at: $now,
  host: $host,
  pid: $pid
})
