// Batches whose process died: interrupted, with the counts of the chunks they wrote
// (written rows are idempotent; re-ingesting the file completes them).
UNWIND $ids AS id
MATCH (b:IngestBatch {id: id})
WHERE b.status = 'running'
SET b.status = 'interrupted',
    b.error = coalesce(b.error, 'the process stopped before the batch completed'),
    b.finished_at = $now
RETURN count(b) AS healed
