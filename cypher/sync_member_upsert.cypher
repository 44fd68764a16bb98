UNWIND $rows AS row
MERGE (m:SyncMember {key: $state + '|' + row.pid})
SET m.state = $state, m.pid = row.pid, m.hash = row.hash, m.snapshot = row.snapshot,
    m.at = $now, m.run_id = $run_id, m.vendor_id = coalesce(row.vendor_id, m.vendor_id)
