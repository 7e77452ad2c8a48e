"""flink-platform: load and validate the stack config, build the platform, export its outputs."""

import pulumi

from components.config.stack import load_stack_config
from components.platform import FlinkPlatform

# Every key the engine handed over is checked: unknown project keys, the default-provider guard, the platform.
config = load_stack_config()
platform = FlinkPlatform("flink", config)

pulumi.export("clusterIdentifier", config.cluster.identifier)
pulumi.export("operatorVersion", config.operator.version)
pulumi.export("crdNames", platform.crd_names)
pulumi.export("tenantNamespaces", platform.namespaces)
pulumi.export("operatorNamespaces", platform.operator_namespaces)
pulumi.export("workloadSpecs", platform.workload_specs)
