"""Flink workloads: their config, rendering, the component, plain session clusters and REST jobs, the impact preview."""
