"""Runtime arguments (``docker run`` flags, parsed by :mod:`aspyre._model._runargs` into docker SDK-style names)
as fields of the Engine API's container create body: its top level and its ``HostConfig``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["parse_bytes", "run_options"]

#: SDK-style name -> field of the container configuration.
_CONFIG = {
    "user": "User",
    "working_dir": "WorkingDir",
    "hostname": "Hostname",
    "domainname": "Domainname",
    "mac_address": "MacAddress",
    "stop_signal": "StopSignal",
}

#: SDK-style name -> field of ``HostConfig`` (value as it is).
_HOST = {
    "nano_cpus": "NanoCpus",
    "cpu_shares": "CpuShares",
    "cpu_period": "CpuPeriod",
    "cpu_quota": "CpuQuota",
    "cpuset_cpus": "CpusetCpus",
    "cpuset_mems": "CpusetMems",
    "pids_limit": "PidsLimit",
    "oom_score_adj": "OomScoreAdj",
    "mem_swappiness": "MemorySwappiness",
    "runtime": "Runtime",
    "ipc_mode": "IpcMode",
    "pid_mode": "PidMode",
    "userns_mode": "UsernsMode",
    "uts_mode": "UTSMode",
    "cgroupns": "CgroupnsMode",
    "cgroup_parent": "CgroupParent",
    "isolation": "Isolation",
    "restart_policy": "RestartPolicy",
    "cap_add": "CapAdd",
    "cap_drop": "CapDrop",
    "security_opt": "SecurityOpt",
    "group_add": "GroupAdd",
    "dns": "Dns",
    "dns_search": "DnsSearch",
    "dns_opt": "DnsOptions",
    "device_cgroup_rules": "DeviceCgroupRules",
    "tmpfs": "Tmpfs",
    "sysctls": "Sysctls",
    "storage_opt": "StorageOpt",
    "ulimits": "Ulimits",
    "device_requests": "DeviceRequests",
    "privileged": "Privileged",
    "init": "Init",
    "read_only": "ReadonlyRootfs",
    "oom_kill_disable": "OomKillDisable",
}

#: SDK-style name -> ``HostConfig`` field holding a size in bytes (``512m`` and the like accepted).
_SIZES = {
    "mem_limit": "Memory",
    "mem_reservation": "MemoryReservation",
    "memswap_limit": "MemorySwap",
    "shm_size": "ShmSize",
}

_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_bytes(value: str | int | float) -> int:
    """``512m`` / ``1g`` / ``1.5gb`` / a number of bytes, as bytes (the docker CLI's units: powers of 1024)."""
    if isinstance(value, int | float):
        return int(value)
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*([bkmg])?b?", value.strip().lower())
    if match is None:
        raise ValueError(f"invalid size {value!r}: expected a number of bytes, or one such as 512m or 1g")
    return int(float(match.group(1)) * _UNITS[match.group(2) or "b"])


def _device(value: str) -> dict[str, str]:
    parts = value.split(":")
    host = parts[0]
    container = parts[1] if len(parts) > 1 else host
    permissions = parts[2] if len(parts) > 2 else "rwm"
    return {"PathOnHost": host, "PathInContainer": container, "CgroupPermissions": permissions}


def run_options(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config fields, HostConfig fields)`` for the parsed runtime arguments *kwargs* (``platform`` is a query
    parameter of the create request, not a field: left out here). Raises :class:`ValueError` for a name it does
    not know (a flag :mod:`aspyre._model._runargs` accepts must be mapped here too)."""
    config: dict[str, Any] = {}
    host: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "platform":
            continue
        if key in _CONFIG:
            config[_CONFIG[key]] = value
        elif key in _HOST:
            host[_HOST[key]] = value
        elif key in _SIZES:
            host[_SIZES[key]] = parse_bytes(value)
        elif key == "devices":
            host["Devices"] = [_device(str(device)) for device in value]
        else:
            raise ValueError(f"the runtime option {key!r} has no Engine API field")
    return config, host
