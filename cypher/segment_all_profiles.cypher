// Every profile id, retired ones included (a full refresh takes them out of segments),
// in slices of $chunk: a few large records decode far faster than one record per pid.
MATCH (p:Profile)
WITH collect(p.pid) AS pids
UNWIND range(0, size(pids) - 1, $chunk) AS i
RETURN pids[i..i + $chunk] AS pids
