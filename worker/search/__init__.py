"""Search over the articles index: requests validated as data, queries built as plain dicts."""
