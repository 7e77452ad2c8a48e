"""The operator install: Deployment and config, RBAC, network policies, CRDs, and the upstream facts they follow."""
