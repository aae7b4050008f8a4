"""faultline nemeses."""
