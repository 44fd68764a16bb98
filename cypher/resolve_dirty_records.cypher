MATCH (r:Record)
WHERE r.dirty = true
RETURN r.rid AS rid
