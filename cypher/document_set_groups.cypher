MATCH (d:Document {id: $doc_id})
SET d.groups = $groups
RETURN d.id AS id
