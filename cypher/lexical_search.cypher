// $query holds only quoted words joined by OR (kg/lexical.py), optionally scoped to one field (text: or title:).
CALL db.index.fulltext.queryNodes('kgrag_chunk_text', $query) YIELD node, score
WITH node, score LIMIT $candidates
MATCH (d:Document {id: node.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN node.id AS id, score
ORDER BY score DESC, id
LIMIT $k
