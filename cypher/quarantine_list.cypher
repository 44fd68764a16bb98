MATCH (q:Quarantine)
WHERE $source IS NULL OR q.source = $source
RETURN q.id AS id, q.source AS source, q.file AS file, q.row AS row, q.kind AS kind,
       q.reason AS reason, q.raw AS raw, q.batch_id AS batch_id
ORDER BY q.source, q.file, q.row
SKIP $skip
LIMIT $limit
