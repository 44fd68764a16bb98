// Rows that cannot be a record at all, kept with their reason. Keyed by content, so the
// same bad row re-ingested stays one entry.
UNWIND $rows AS row
MERGE (q:Quarantine {id: row.id})
ON CREATE SET q.first_batch_id = $batch_id, q.created_at = $now
SET q.source = row.source,
    q.file = row.file,
    q.row = row.row,
    q.kind = row.kind,
    q.reason = row.reason,
    q.raw = row.raw,
    q.batch_id = $batch_id
