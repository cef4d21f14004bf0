// Arguments module: see CONTRIBUTING.md.
