// Claim the profiles to recompute: those resolution marked (enrich_dirty = true), and those
// a crashed run left claimed. The claim is this run's id, so a profile marked again while
// the run works stays dirty when the run clears only its own claims.
MATCH (p:Profile)
WHERE p.enrich_dirty IS NOT NULL AND p.retired IS NULL
SET p.enrich_dirty = $run_id
RETURN p.pid AS pid
