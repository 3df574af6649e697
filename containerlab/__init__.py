"""Lab topologies (*.clab.yml), node assets and the lab runner's backends."""
