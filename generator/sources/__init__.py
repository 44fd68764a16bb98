"""One module per source system; each writes its own files and its ground-truth rows."""
