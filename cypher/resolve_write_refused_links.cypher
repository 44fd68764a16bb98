// Links a per-profile limit refused, with why (on the HAS_IDENTIFIER edge): the refusals
// that are new or whose reason changed; rows are [rid, identifier key, reason].
UNWIND $rows AS row
MATCH (:Record {rid: row[0]})-[h:HAS_IDENTIFIER]->(:Identifier {key: row[1]})
SET h.refused = row[2]
