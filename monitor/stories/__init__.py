"""Stories: the items that report one event, grouped across rules and languages."""
