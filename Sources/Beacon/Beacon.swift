// Beacon: see DESIGN.md.
