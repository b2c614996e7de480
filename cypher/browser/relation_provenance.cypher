// Where a relation was read: each relation record points to its document, chunk and sentence span.
//   :param subject => 'Halvorsen Therapeutics'
//   :param object => 'Nordlys Bio'
MATCH (s:Entity {name: $subject})-[r]->(o:Entity {name: $object})
MATCH (d:Document {id: r.doc_id})-[:HAS_CHUNK]->(c:Chunk {id: r.chunk_id})
RETURN type(r) AS relation, r.predicate AS predicate, d.title AS document, d.source AS source,
       d.content_hash AS version, r.start AS start, r.`end` AS `end`,
       substring(d.text, r.start, r.`end` - r.start) AS sentence, r.extractor AS extractor,
       r.extractor_version AS extractor_version
