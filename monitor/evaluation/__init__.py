"""`monitor eval`: how rules and stories do on labelled items, the way a user feels it."""
