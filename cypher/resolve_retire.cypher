// Retired ids keep resolving: they point to the profile they were merged into.
UNWIND $rows AS row
MATCH (o:Profile {pid: row.old})
MATCH (n:Profile {pid: row.new})
SET o.retired = true, o.retired_at = $now, o.enrich_dirty = null
REMOVE o.retire_into
MERGE (o)-[:MERGED_INTO]->(n)
