// $query holds only quoted identifiers (kg.text.identifiers: letters, digits, dashes) joined by OR.
CALL db.index.fulltext.queryNodes('kgrag_chunk_identifiers', $query) YIELD node
MATCH (d:Document {id: node.doc_id})
WHERE $groups IS NULL OR any(g IN d.groups WHERE g IN $groups)
RETURN node.id AS id, node.identifier_text AS identifiers
ORDER BY node.doc_id, node.position
