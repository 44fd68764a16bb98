// The segments each profile is a member of (materialised membership).
UNWIND $pids AS pid
MATCH (:Profile {pid: pid})-[m:IN_SEGMENT]->(s:Segment)
WITH pid, m, s
ORDER BY s.id
RETURN pid, collect({id: s.id, name: s.name, since: coalesce(m.since, m.at)}) AS segments
