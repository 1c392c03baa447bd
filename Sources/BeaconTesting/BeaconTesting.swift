// BeaconTesting: see DESIGN.md.
