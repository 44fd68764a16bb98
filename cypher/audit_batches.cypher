// The audit's batch history: the last $limit ingestion batches with their counts.
MATCH (b:IngestBatch)
WITH b
ORDER BY b.started_at DESC, b.id DESC
LIMIT $limit
RETURN b.id AS id,
       b.source AS source,
       b.file AS file,
       b.status AS status,
       b.started_at AS started_at,
       b.finished_at AS finished_at,
       b.rows_read AS rows_read,
       b.rows_accepted AS rows_accepted,
       b.rows_quarantined AS rows_quarantined,
       b.rows_suppressed AS rows_suppressed,
       b.records_changed AS records_changed,
       b.orders AS orders,
       b.events AS events,
       b.value_issues AS value_issues
ORDER BY started_at DESC, id DESC
