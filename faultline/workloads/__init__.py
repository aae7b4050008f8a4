"""faultline workloads."""
