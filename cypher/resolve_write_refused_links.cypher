UNWIND $rids AS rid
MATCH (:Record {rid: rid})-[h:HAS_IDENTIFIER]->()
WHERE h.refused IS NOT NULL
SET h.refused = null
WITH count(*) AS cleared
UNWIND $rows AS row
MATCH (:Record {rid: row.rid})-[h:HAS_IDENTIFIER]->(:Identifier {key: row.key})
SET h.refused = row.reason
