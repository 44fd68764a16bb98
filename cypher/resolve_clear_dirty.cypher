UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
SET r.dirty = null
