// Records whose identifier links a limit refused in an earlier run.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})-[h:HAS_IDENTIFIER]->()
WHERE h.refused IS NOT NULL
RETURN DISTINCT r.rid AS rid
