// A changed row that no longer carries an identifier loses the link (its source says so).
UNWIND $rows AS row
MATCH (r:Record {rid: row.rid})-[h:HAS_IDENTIFIER]->(i:Identifier)
WHERE NOT i.key IN row.keys
DELETE h
SET r.dirty = true
