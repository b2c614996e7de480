UNWIND $ids AS id
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk {id: id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN c.id AS id, c.doc_id AS doc_id, c.position AS position, c.start AS start, c.`end` AS stop, c.text AS text
