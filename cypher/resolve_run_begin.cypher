// A resolution's write phase starts: the journal entry a crash leaves behind, read by the
// next run (`resolve_runs_open`), which heals what this run left half-written. What is
// stored is about to change, so the state the last full run recorded is forgotten
// (`matching.full_state`).
OPTIONAL MATCH (s:ResolveState)
DELETE s
WITH count(*) AS _
CREATE (:ResolveRun {
  id: $run_id, mode: $mode, started_at: $now, heartbeat_at: $now, host: $host, pid: $pid
})
