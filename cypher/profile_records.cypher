// The source records of each profile.
UNWIND $pids AS pid
MATCH (:Profile {pid: pid})<-[:IN_PROFILE]-(r:Record)
WITH pid, r
ORDER BY r.rid
RETURN pid, collect(properties(r)) AS records
