// GitSource module: see CONTRIBUTING.md.
