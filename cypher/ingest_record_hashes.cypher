// The content hashes of this chunk's records that the graph already holds (a stub created by
// an order or event has none): tells new records, changed ones and unchanged ones apart
// before anything is written, in the chunk's transaction.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
RETURN rid, r.hash AS hash
