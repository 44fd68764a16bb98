// The profiles of these ids. A retired id follows its MERGED_INTO chain to the profile that
// holds its records now, so an old id still finds its customer. A profile holding no record
// (left by a resolution that died mid-write, until the next run heals it) is not found.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
OPTIONAL MATCH (p)-[:MERGED_INTO*1..50]->(t:Profile)
WHERE NOT (t)-[:MERGED_INTO]->(:Profile)
WITH pid, coalesce(t, p) AS target
WHERE COUNT { (target)<-[:IN_PROFILE]-() } > 0
RETURN pid, properties(target) AS profile
