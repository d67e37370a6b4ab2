"""Answer: quotes or an abstention, from a ranking."""
