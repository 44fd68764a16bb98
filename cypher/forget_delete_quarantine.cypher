// Quarantined rows that carried an erased person.
UNWIND $ids AS id
MATCH (q:Quarantine {id: id})
DELETE q
RETURN count(*) AS deleted
