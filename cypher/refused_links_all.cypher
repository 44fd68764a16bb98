// Every identifier link a limit refused in an earlier run, as [rid, identifier key, reason]
// in one row, so that a resolution rewrites only the refusals that changed.
MATCH (r:Record)-[h:HAS_IDENTIFIER]->(i:Identifier)
WHERE h.refused IS NOT NULL
RETURN collect([r.rid, i.key, h.refused]) AS rows
