// Enrichment attributes of a batch of profiles. A null value removes the property, so a
// profile that lost its orders in a split loses its old figures. The dirty flag is cleared
// only where this run claimed it.
UNWIND $rows AS row
MATCH (p:Profile {pid: row.pid})
SET p += row.props
WITH p
WHERE p.enrich_dirty = $run_id
SET p.enrich_dirty = null
