// Accepted probabilistic pairs, with their weight, probability and per-field evidence (and
// whether they rest on a name and a postcode only, `matching.name_postcode`): new
// links and links whose score changed (scoring leaves unchanged ones alone). An operator's
// rejection is kept: scoring again never brings a rejected link back.
UNWIND $rows AS row
MATCH (a:Record {rid: row.a}), (b:Record {rid: row.b})
MERGE (a)-[m:MATCHES]-(b)
ON CREATE SET m.created_at = $now
SET m.match_weight = row.weight,
    m.match_probability = row.probability,
    m.evidence = row.evidence,
    m.name_postcode = row.name_postcode,
    m.model_version = $version,
    m.scored_at = $now
WITH a, b, m
WHERE m.rejected IS NULL
SET a.dirty = true, b.dirty = true
