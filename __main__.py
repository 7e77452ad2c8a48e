"""flink-platform: load and validate the stack config, build the platform, export its outputs."""

import pulumi

from components.config import CONFIG_KEY, load_platform_config
from components.platform import FlinkPlatform

config = load_platform_config(pulumi.Config().require_object(CONFIG_KEY))
platform = FlinkPlatform("flink", config)

pulumi.export("clusterIdentifier", config.cluster.identifier)
pulumi.export("operatorVersion", config.operator.version)
pulumi.export("crdNames", platform.crd_names)
pulumi.export("tenantNamespaces", platform.namespaces)
pulumi.export("operatorNamespaces", platform.operator_namespaces)
