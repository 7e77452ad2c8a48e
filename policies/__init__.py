"""The flink-platform policy pack (pulumi-policy). See policies/README.md."""
