MATCH (d:Document {id: $doc_id})
RETURN d.content_hash AS content_hash
