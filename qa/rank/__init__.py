"""Rank: order the sentences of an index for a question."""
