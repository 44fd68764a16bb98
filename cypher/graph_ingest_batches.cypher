// Ingestion batches, latest first, optionally of one source.
MATCH (b:IngestBatch)
WHERE $source IS NULL OR b.source = $source
RETURN properties(b) AS batch
ORDER BY b.started_at DESC, b.id DESC
SKIP $skip
LIMIT $limit
