"""Text analysis shared by rules and items: normalisation, tokens and match keys."""
