// Every quarantined row, for erasure to find those that carry the erased person.
MATCH (q:Quarantine)
RETURN q.id AS id, q.source AS source, q.raw AS raw
