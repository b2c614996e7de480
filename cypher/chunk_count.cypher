MATCH (c:Chunk)
RETURN count(c) AS chunks
