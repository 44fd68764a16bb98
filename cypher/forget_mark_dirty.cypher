// Records that shared an identifier or a link with erased ones: resolved again.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
SET r.dirty = true
RETURN count(*) AS marked
