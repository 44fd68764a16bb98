MATCH (a:Record {rid: $a})-[s:SAME_AS]-(b:Record {rid: $b})
DELETE s
SET a.dirty = true, b.dirty = true
RETURN count(s) AS removed
