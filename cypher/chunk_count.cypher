// The chunks a caller may see: ranking statistics count only these, so hidden documents cannot shift a ranking.
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk)
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN count(c) AS chunks
