// Tokenizers module: see CONTRIBUTING.md.
