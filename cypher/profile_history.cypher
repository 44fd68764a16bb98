// Merges, splits and creations that name any of these profiles, oldest first.
MATCH (c:ProfileChange)
WHERE c.pid IN $pids OR any(o IN c.others WHERE o IN $pids)
RETURN c.kind AS kind, c.pid AS pid, c.others AS others, c.records AS records, c.at AS at
ORDER BY c.at, c.kind, c.pid
