"""The real Pulumi CLI and Kubernetes provider, built from Go modules, and local stack runs."""
