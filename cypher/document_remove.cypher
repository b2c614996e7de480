// Removes the document, its chunks (with their embeddings and full-text entries) and their MENTIONS;
// returns the entities it touched, which may now be orphans.
MATCH (d:Document {id: $doc_id})
OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)
DETACH DELETE c
WITH DISTINCT d
WITH d, coalesce(d.entity_ids, []) AS touched
DETACH DELETE d
RETURN touched
