/** Near-duplicate images: pairs whose embeddings (standardised base features) point the same way. */

/** Two images whose embeddings have cosine similarity at or above the threshold. */
export interface NearDuplicatePair {
  a: number;
  b: number;
  similarity: number;
}

/** Cosine similarity from which two images count as near-duplicates. */
export const NEAR_DUPLICATE_SIMILARITY = 0.95;
/** At most this many pairs are reported (the most similar). */
export const MAX_NEAR_DUPLICATES = 500;

/** Pairs with cosine ≥ `threshold` from the Gram matrix (n×n dot products) of the embeddings, most similar first, at most `limit`. */
export function findNearDuplicates(gram: ArrayLike<number>, n: number, threshold = NEAR_DUPLICATE_SIMILARITY, limit = MAX_NEAR_DUPLICATES): NearDuplicatePair[] {
  const norm = Float64Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(gram[i * n + i] as number, 0)));
  const pairs: NearDuplicatePair[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = norm[i]! * norm[j]!;
      const similarity = d > 0 ? (gram[i * n + j] as number) / d : 0;
      if (similarity >= threshold) pairs.push({ a: i, b: j, similarity });
    }
  }
  return pairs.sort((x, y) => y.similarity - x.similarity || x.a - y.a || x.b - y.b).slice(0, limit);
}
