// Engagement events of erased records (they describe the person).
UNWIND $rids AS rid
MATCH (:Record {rid: rid})<-[:BY]-(e:Event)
DETACH DELETE e
RETURN count(*) AS deleted
