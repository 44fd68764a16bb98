// A write phase stopped by an error (not a kill): its process lives on, but the run is
// over, so the next run completes it without waiting.
MATCH (r:ResolveRun {id: $run_id})
SET r.failed_at = $now
