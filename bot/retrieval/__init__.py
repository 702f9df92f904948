"""Hybrid retrieval over the knowledge base: dense (e5 + FAISS), lemma BM25 and character n-grams."""
