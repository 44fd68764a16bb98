// A changed row that no longer carries an identifier loses the link (its source says so).
// The index hint keeps a plan cached while the graph was empty (a fresh database's first
// batch) from scanning and filtering every record on later, larger batches.
UNWIND $rows AS row
MATCH (r:Record {rid: row.rid})
USING INDEX r:Record(rid)
MATCH (r)-[h:HAS_IDENTIFIER]->(i:Identifier)
WHERE NOT i.key IN row.keys
DELETE h
SET r.dirty = true
