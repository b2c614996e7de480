// Nearest chunks by cosine. The index returns $candidates nodes; the access filter runs in this same query, and
// the caller asks again with more candidates when too few readable chunks remain.
CALL db.index.vector.queryNodes('kgrag_chunk_embedding', $candidates, $vector) YIELD node, score
MATCH (d:Document {id: node.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN node.id AS id, score
ORDER BY score DESC, id
LIMIT $k
