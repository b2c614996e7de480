// The documents behind an answer: paste the chunk ids that `kgrag query --json` returned.
//   :param chunk_ids => ['<chunk id>', '<chunk id>']
UNWIND $chunk_ids AS chunk_id
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk {id: chunk_id})
OPTIONAL MATCH (c)-[:MENTIONS]->(e:Entity)
RETURN d.id AS document, d.title AS title, d.source AS source, d.groups AS groups, c.start AS start,
       c.`end` AS `end`, c.text AS text, collect(DISTINCT e.name) AS entities
