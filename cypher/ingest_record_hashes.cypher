// The content hashes of this chunk's records that the graph already holds (a stub created by
// an order or event has none): tells new records, changed ones and unchanged ones apart
// before anything is written, in the chunk's transaction. One row holding every pair: the
// driver decodes thousands of small result rows far slower than one list (re-ingesting an
// unchanged file spent half its Python CPU there).
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
RETURN collect([rid, r.hash]) AS found
