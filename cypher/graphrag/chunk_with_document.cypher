// For neo4j-graphrag's VectorCypherRetriever and HybridCypherRetriever over kgrag's graph: each hit of the index
// (`node`, a kgrag Chunk, and its `score`) with its document and span, kept only when the document shares one of
// the caller's groups. Pass query_params={"groups": [...]}: neo4j-graphrag reads the database directly, so this
// filter is the only access control it has; kgrag's own API enforces groups itself.
MATCH (d:Document {id: node.doc_id})
WHERE any(g IN d.groups WHERE g IN $groups)
RETURN node.text AS text, score, d.id AS doc_id, d.title AS title, d.source AS source,
       d.content_hash AS content_hash, node.start AS start, node.end AS end
