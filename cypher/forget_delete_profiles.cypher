// The erased profiles and their retired ids (which keep copies of the golden attributes).
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
DETACH DELETE p
RETURN count(*) AS deleted
