// The customer key of these profiles in one source (the lowest, when a profile holds
// several records of it): how a destination that names users by the brand's own id
// knows them.
UNWIND $pids AS pid
MATCH (:Profile {pid: pid})<-[:IN_PROFILE]-(r:Record {source: $source})
WHERE r.source_id IS NOT NULL
RETURN pid, min(toString(r.source_id)) AS key
