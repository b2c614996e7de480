MATCH (d:Document {id: $doc_id})
UNWIND coalesce(d.entity_ids, []) AS entity_id
MATCH (s:Entity {id: entity_id})-[r]->(o:Entity)
WHERE r.doc_id = $doc_id
RETURN s.id AS subject_id, r.predicate AS predicate, o.id AS object_id, r.doc_id AS doc_id, r.chunk_id AS chunk_id,
       r.start AS start, r.`end` AS stop, r.extractor AS extractor, r.extractor_version AS extractor_version,
       r.confidence AS confidence
ORDER BY r.seq
