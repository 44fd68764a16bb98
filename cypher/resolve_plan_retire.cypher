// Before records move: the ids this run will retire, and into which profile, so a crash
// that empties a profile before it is retired leaves it retirable by the next run.
UNWIND $rows AS row
MATCH (o:Profile {pid: row.old})
SET o:Unsettled, o.settle_run = $run_id, o.retire_into = row.new
