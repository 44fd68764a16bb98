MATCH (c:ProfileChange)
WHERE c.pid = $pid OR $pid IN c.others
RETURN c.kind AS kind, c.pid AS pid, c.others AS others, c.records AS records, c.at AS at
ORDER BY c.at
