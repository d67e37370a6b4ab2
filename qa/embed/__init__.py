"""Embed: sentence and word-piece vectors from the model."""
