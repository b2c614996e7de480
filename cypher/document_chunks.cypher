MATCH (:Document {id: $doc_id})-[:HAS_CHUNK]->(c:Chunk)
RETURN c.id AS id, c.position AS position, c.start AS start, c.`end` AS stop, c.text AS text,
       c.embedding AS embedding
ORDER BY c.position
