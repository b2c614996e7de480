// NEXT links consecutive chunks, so that Browser users can read a document in order.
MATCH (:Document {id: $doc_id})-[:HAS_CHUNK]->(c:Chunk)
WITH c ORDER BY c.position
WITH collect(c) AS chunks
UNWIND range(0, size(chunks) - 2) AS i
WITH chunks[i] AS a, chunks[i + 1] AS b
CREATE (a)-[:NEXT]->(b)
