// BeaconAMQP: see DESIGN.md.
