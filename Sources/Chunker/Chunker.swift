// Chunker module: see CONTRIBUTING.md.
