// First delivery of these pids on this link (the link's lock keeps anyone else from
// adding them meanwhile): CREATE, cheaper than MERGE for a 100k-member first sync.
UNWIND $rows AS row
CREATE (:SyncMember {
  key: $state + '|' + row.pid, state: $state, pid: row.pid, hash: row.hash,
  snapshot: row.snapshot, at: $now, run_id: $run_id, vendor_id: row.vendor_id
})
