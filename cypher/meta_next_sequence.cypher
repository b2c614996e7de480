// Reserves $count insertion numbers: mentions and relations are read back in the order they were written,
// as the embedded store does, so that both backends rank ties alike.
MERGE (m:KgragMeta {key: 'store'})
ON CREATE SET m.seq = 0
SET m.seq = m.seq + $count
RETURN m.seq - $count AS base
