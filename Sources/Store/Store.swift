// Store module: see CONTRIBUTING.md.
