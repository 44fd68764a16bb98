MATCH (r:Record)
RETURN r.rid AS rid
