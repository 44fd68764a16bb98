// Orders of erased records stay (revenue, stock) but lose the link to the person.
UNWIND $rids AS rid
MATCH (:Record {rid: rid})<-[l:PLACED_BY]-(o:Order)
DELETE l
SET o.forgotten = true
RETURN count(*) AS unlinked
