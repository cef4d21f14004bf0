// Search module: see CONTRIBUTING.md.
