// Profiles with no record that are not retired ids: a dead run's (`$runs`), or, with
// `$all`, any but a live run's (a full run's sweep, which also removes ghosts older than
// the write journal). They hold golden attributes of no one; a batch per call.
MATCH (p:Profile)
WHERE p.retired IS NULL
  AND (($all AND NOT p:Unsettled) OR (p:Unsettled AND p.settle_run IN $runs))
  AND NOT EXISTS { (:Record)-[:IN_PROFILE]->(p) }
WITH p LIMIT $limit
DETACH DELETE p
RETURN count(*) AS deleted
