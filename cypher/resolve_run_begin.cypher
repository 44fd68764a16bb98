// A resolution's write phase starts: the journal entry a crash leaves behind, read by the
// next run (`resolve_runs_open`), which heals what this run left half-written.
CREATE (:ResolveRun {
  id: $run_id, mode: $mode, started_at: $now, heartbeat_at: $now, host: $host, pid: $pid
})
