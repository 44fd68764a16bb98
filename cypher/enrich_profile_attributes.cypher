// The stored properties of profiles (tests and the benchmark compare runs with it).
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
RETURN p.pid AS pid, properties(p) AS props
