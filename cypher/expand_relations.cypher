UNWIND $ids AS id
MATCH (s:Entity {id: id})-[r]->(o:Entity)
WHERE o.id IN $ids
MATCH (d:Document {id: r.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN s.id AS subject_id, r.predicate AS predicate, o.id AS object_id, r.doc_id AS doc_id, r.chunk_id AS chunk_id,
       r.start AS start, r.`end` AS stop, r.extractor AS extractor, r.extractor_version AS extractor_version,
       r.confidence AS confidence
ORDER BY r.seq
