UNWIND $rids AS rid
MATCH (r:Record {rid: rid})-[:HAS_IDENTIFIER]->(i:Identifier)
// One row holding every [rid, key, blocked, generic]: one Bolt record, not one per link.
RETURN collect([r.rid, i.key, i.blocked, i.generic]) AS rows
