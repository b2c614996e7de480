MATCH (:Document {id: $doc_id})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity)
RETURN e.id AS entity_id, c.id AS chunk_id, m.start AS start, m.`end` AS stop, m.text AS text
ORDER BY m.seq
