// A running batch's counts after each written chunk, in that chunk's transaction: a batch
// a crash interrupts keeps the true counts of what it wrote. What the chunk wrote is added
// (chunks commit in any order when several are written at once); how many rows were read,
// accepted and quarantined only grows (a chunk taken earlier may commit later).
MATCH (b:IngestBatch {id: $batch_id})
WHERE b.status = 'running'
SET b.records = coalesce(b.records, 0) + $added.records,
    b.records_changed = coalesce(b.records_changed, 0) + $added.records_changed,
    b.orders = coalesce(b.orders, 0) + $added.orders,
    b.events = coalesce(b.events, 0) + $added.events,
    b.rows_read = CASE WHEN b.rows_read >= $seen.rows_read THEN b.rows_read ELSE $seen.rows_read END,
    b.rows_accepted = CASE WHEN b.rows_accepted >= $seen.rows_accepted THEN b.rows_accepted ELSE $seen.rows_accepted END,
    b.rows_quarantined = CASE WHEN b.rows_quarantined >= $seen.rows_quarantined THEN b.rows_quarantined ELSE $seen.rows_quarantined END,
    b.rows_suppressed = CASE WHEN b.rows_suppressed >= $seen.rows_suppressed THEN b.rows_suppressed ELSE $seen.rows_suppressed END,
    b.value_issues = CASE WHEN b.value_issues >= $seen.value_issues THEN b.value_issues ELSE $seen.value_issues END,
    b.anonymous_rows = CASE WHEN b.anonymous_rows >= $seen.anonymous_rows THEN b.anonymous_rows ELSE $seen.anonymous_rows END,
    b.heartbeat_at = $now
