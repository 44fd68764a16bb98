// Enrichment attributes of a batch of profiles. A null value removes the property, so a
// profile that lost its orders in a split loses its old figures. The dirty flag is cleared
// unless resolution rewrote the profile after the second this run started in (it sets
// `resolved_at`, to the second, with `enrich_dirty`): then it stays dirty for the next run.
UNWIND $rows AS row
MATCH (p:Profile {pid: row.pid})
SET p += row.props
WITH p
WHERE p.enrich_dirty IS NOT NULL AND coalesce(p.resolved_at, '') <= $started
SET p.enrich_dirty = null
