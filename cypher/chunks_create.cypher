MATCH (d:Document {id: $doc_id})
UNWIND $rows AS row
CREATE (d)-[:HAS_CHUNK]->(c:Chunk)
SET c = row
