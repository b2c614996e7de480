UNWIND $chunks AS chunk_id
MATCH (c:Chunk {id: chunk_id})-[m:MENTIONS]->(e:Entity)
WHERE e.id IN $ids
MATCH (d:Document {id: m.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN e.id AS entity_id, m.doc_id AS doc_id, c.id AS chunk_id, m.start AS start, m.`end` AS stop, m.text AS text
ORDER BY m.seq
