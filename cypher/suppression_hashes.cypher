MATCH (s:Suppression)
RETURN s.hash AS hash
