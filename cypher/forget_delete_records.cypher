// The erased records with their links (identifiers, profile, matches, forced links).
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
DETACH DELETE r
RETURN count(*) AS deleted
