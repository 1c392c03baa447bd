// BeaconEvents: see DESIGN.md.
