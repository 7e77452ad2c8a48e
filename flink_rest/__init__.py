"""A strict client for a Flink JobManager's REST API (a library: imports nothing of components/ or pulumi)."""
