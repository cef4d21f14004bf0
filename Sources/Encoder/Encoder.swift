// Encoder module: see CONTRIBUTING.md.
