"""Split: documents into sentences, and text into the terms BM25 matches."""
