// Refusals that no longer hold (the limit no longer refuses the link); rows are
// [rid, identifier key].
UNWIND $rows AS row
MATCH (:Record {rid: row[0]})-[h:HAS_IDENTIFIER]->(:Identifier {key: row[1]})
SET h.refused = null
