// BeaconWeb: see DESIGN.md.
