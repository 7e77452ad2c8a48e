"""The real Flink Kubernetes Operator 1.15.0 for the tests: built with Maven from its source in ``../shared``."""
