MATCH (b:IngestBatch {id: $batch_id})
SET b += $counts,
    b.status = $status,
    b.error = $error,
    b.finished_at = $now
