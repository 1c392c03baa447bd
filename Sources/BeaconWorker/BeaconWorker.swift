// BeaconWorker: see DESIGN.md.
