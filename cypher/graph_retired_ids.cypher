// Retired profile ids that lead (through MERGED_INTO) to this profile, each with the id it
// was merged into.
MATCH (old:Profile)-[:MERGED_INTO*1..50]->(:Profile {pid: $pid})
MATCH (old)-[:MERGED_INTO]->(next:Profile)
RETURN old.pid AS pid, next.pid AS into, old.retired_at AS retired_at
ORDER BY pid
