"""Real local components for tests and trials: Flink, the control plane, the Pulumi CLI, their builds, process groups."""
