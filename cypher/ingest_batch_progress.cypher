// The counts of a running batch after each written chunk: a batch a crash interrupts keeps
// the true counts of what it wrote.
MATCH (b:IngestBatch {id: $batch_id})
WHERE b.status = 'running'
SET b += $counts, b.heartbeat_at = $now
