// Records the embedding dimension on first write; returns what is stored, so a mismatch can be refused.
MERGE (m:KgragMeta {key: 'store'})
ON CREATE SET m.seq = 0
SET m.dimension = coalesce(m.dimension, $dimension)
RETURN m.dimension AS dimension
