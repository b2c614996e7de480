// The nearest chunks by cosine for each row of $vectors, in one statement: each row's $candidates index hits, the access
// filter in the same query, and that row's best $k readable chunks.
UNWIND range(0, size($vectors) - 1) AS row
CALL {
  WITH row
  CALL db.index.vector.queryNodes('kgrag_chunk_embedding', $candidates, $vectors[row]) YIELD node, score
  MATCH (d:Document {id: node.doc_id})
  WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
  RETURN node.id AS id, score
  ORDER BY score DESC, id
  LIMIT $k
}
RETURN row, id, score
