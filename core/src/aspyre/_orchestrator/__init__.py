"""Run mode: scheduling, snapshots, logs, health checks, containers and processes."""
