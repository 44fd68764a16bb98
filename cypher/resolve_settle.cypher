// The end of a write phase: the profiles it marked are settled (a batch per call).
MATCH (p:Unsettled)
WHERE p.settle_run IN $runs
WITH p LIMIT $limit
REMOVE p:Unsettled, p.settle_run, p.retire_into
RETURN count(p) AS settled
