// The audit's combinations of sources: per identifier type and set of sources, how many
// identifiers exactly those sources carry, and how many of them are flagged by identity
// resolution (blocked or generic). Identifiers no record carries any more are left out.
MATCH (i:Identifier)
WITH i,
     COLLECT {
       MATCH (i)<-[:HAS_IDENTIFIER]-(r:Record)
       WITH DISTINCT r.source AS source
       RETURN source ORDER BY source
     } AS sources
WHERE sources <> []
RETURN i.type AS type,
       sources,
       count(*) AS identifiers,
       count(i.blocked) AS blocked,
       count(i.generic) AS generic
ORDER BY type, identifiers DESC
