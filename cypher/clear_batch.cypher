// Deletes kgrag's nodes (and their relationships) in bounded batches; the caller repeats until nothing is left.
MATCH (n)
WHERE n:Document OR n:Chunk OR n:Entity OR n:KgragMeta
WITH n LIMIT $batch
DETACH DELETE n
RETURN count(*) AS deleted
