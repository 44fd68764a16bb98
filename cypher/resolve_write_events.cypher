UNWIND $rows AS row
CREATE (:ProfileChange {
  id: row.id, kind: row.kind, pid: row.pid, others: row.others, records: row.records,
  at: $now, run_id: $run_id
})
