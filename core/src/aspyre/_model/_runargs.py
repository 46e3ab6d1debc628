"""``docker run``-style flags (``with_container_runtime_args``) mapped onto docker SDK create arguments.

Only flags the SDK can express are accepted; every other flag raises :class:`ValueError` naming it, and
flags that aspyre itself manages (environment, ports, mounts, name, network) name the builder method to
use instead.

The rules are pure (no docker import, no I/O), so ``build()`` checks a model's runtime arguments with the
same parser the container runtime uses to create the container: a flag that cannot be expressed fails
at the builder call or at ``build()``, not when the container starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import attrs

__all__ = ["RESERVED_LABEL_PREFIX", "RuntimeOptions", "parse_runtime_args", "supported_runtime_flags"]

#: The prefix of the labels aspyre sets (the container runtime's ``LABEL_PREFIX``): user labels may not use it.
RESERVED_LABEL_PREFIX = "aspyre."


@attrs.frozen
class RuntimeOptions:
    """The outcome of parsing runtime args: SDK keyword arguments plus labels and extra hosts to merge."""

    kwargs: dict[str, Any]
    labels: dict[str, str]
    extra_hosts: dict[str, str]


_Apply = Callable[[dict[str, Any], str, str], None]


def _set(key: str, convert: Callable[[str], Any] = str) -> _Apply:
    def apply(kwargs: dict[str, Any], flag: str, value: str) -> None:
        try:
            kwargs[key] = convert(value)
        except ValueError as exc:
            raise ValueError(f"invalid value {value!r} for container runtime flag {flag}: {exc}") from None

    return apply


def _append(key: str, convert: Callable[[str], Any] = str) -> _Apply:
    def apply(kwargs: dict[str, Any], flag: str, value: str) -> None:
        try:
            kwargs.setdefault(key, []).append(convert(value))
        except ValueError as exc:
            raise ValueError(f"invalid value {value!r} for container runtime flag {flag}: {exc}") from None

    return apply


def _key_value(key: str) -> _Apply:
    def apply(kwargs: dict[str, Any], flag: str, value: str) -> None:
        name, found, item = value.partition("=")
        if not found or not name:
            raise ValueError(f"container runtime flag {flag} expects NAME=VALUE, got {value!r}")
        kwargs.setdefault(key, {})[name] = item

    return apply


def _int(value: str) -> int:
    return int(value, 10)


def _cpus(value: str) -> int:
    cpus = float(value)
    if cpus <= 0:
        raise ValueError("must be positive")
    return round(cpus * 1_000_000_000)


def _memory(value: str) -> str | int:
    if re.fullmatch(r"\d+", value):
        return int(value)
    if re.fullmatch(r"\d+(\.\d+)?[bkmg]b?", value, flags=re.IGNORECASE):
        return value.lower()
    if value == "-1":
        return -1
    raise ValueError("expected a size such as 512m, 1g or a number of bytes")


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise ValueError("expected true or false")


def _restart(kwargs: dict[str, Any], flag: str, value: str) -> None:
    name, _, count = value.partition(":")
    if name not in {"no", "always", "on-failure", "unless-stopped"}:
        raise ValueError(f"container runtime flag {flag}: unknown restart policy {name!r}")
    policy: dict[str, Any] = {"Name": "" if name == "no" else name}
    if count:
        if name != "on-failure" or not count.isdigit():
            raise ValueError(f"container runtime flag {flag}: a retry count is only valid as on-failure:N")
        policy["MaximumRetryCount"] = int(count)
    kwargs["restart_policy"] = policy


def _tmpfs(kwargs: dict[str, Any], flag: str, value: str) -> None:
    path, _, options = value.partition(":")
    if not path.startswith("/"):
        raise ValueError(f"container runtime flag {flag} expects an absolute container path, got {value!r}")
    kwargs.setdefault("tmpfs", {})[path] = options


def _ulimit(kwargs: dict[str, Any], flag: str, value: str) -> None:
    # The Engine API's form, which the SDK accepts in place of ``docker.types.Ulimit``.
    name, found, limits = value.partition("=")
    soft, _, hard = limits.partition(":")
    if not found or not name or not soft.lstrip("-").isdigit() or (hard and not hard.lstrip("-").isdigit()):
        raise ValueError(f"container runtime flag {flag} expects NAME=SOFT[:HARD], got {value!r}")
    kwargs.setdefault("ulimits", []).append({"Name": name, "Soft": int(soft), "Hard": int(hard or soft)})


def _gpus(kwargs: dict[str, Any], flag: str, value: str) -> None:
    # The Engine API's form, which the SDK accepts in place of ``docker.types.DeviceRequest``.
    count = -1 if value == "all" else None
    if count is None:
        if not value.isdigit():
            raise ValueError(f"container runtime flag {flag} supports 'all' or a number of GPUs, got {value!r}")
        count = int(value)
    kwargs.setdefault("device_requests", []).append({"Count": count, "Capabilities": [["gpu"]]})


def _add_host(kwargs: dict[str, Any], flag: str, value: str) -> None:
    # docker accepts HOST:IP and (newer CLIs) HOST=IP; the IP may be IPv6 and contain colons.
    sep = "=" if "=" in value else ":"
    name, found, address = value.partition(sep)
    if not found or not name or not address:
        raise ValueError(f"container runtime flag {flag} expects HOST:IP (or host-gateway as IP), got {value!r}")
    kwargs.setdefault("__hosts__", {})[name] = address


#: A CDI device name (``vendor.com/class=name``), e.g. Podman's and Docker 25's ``--device nvidia.com/gpu=all``.
_CDI_DEVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*=[A-Za-z0-9_.:-]+")


def _device(kwargs: dict[str, Any], flag: str, value: str) -> None:
    """``--device /dev/x[:/dev/y[:rwm]]`` maps a host device; ``--device vendor.com/class=name`` requests a CDI
    device, as the docker CLI does (one ``cdi`` device request holding every CDI device)."""
    if _CDI_DEVICE.fullmatch(value):
        # The Engine API's form, which the SDK accepts in place of ``docker.types.DeviceRequest``.
        requests = kwargs.setdefault("device_requests", [])
        cdi = next((r for r in requests if r.get("Driver") == "cdi"), None)
        if cdi is None:
            requests.append({"Driver": "cdi", "DeviceIDs": [value]})
        else:
            cdi["DeviceIDs"].append(value)
        return
    if not value.startswith("/"):
        raise ValueError(
            f"container runtime flag {flag} expects a host device path (/dev/...[:container path[:rwm]]) or a CDI "
            f"device name (vendor.com/class=name), got {value!r}"
        )
    parts = value.split(":")
    if len(parts) == 1:
        parts = [parts[0], parts[0], "rwm"]
    elif len(parts) == 2:
        parts.append("rwm")
    kwargs.setdefault("devices", []).append(":".join(parts))


#: Boolean flags: present means true; ``--flag=false`` turns them off.
_BOOL_FLAGS: dict[str, str] = {
    "--privileged": "privileged",
    "--init": "init",
    "--read-only": "read_only",
    "--oom-kill-disable": "oom_kill_disable",
}

#: Flags that take a value.
_VALUE_FLAGS: dict[str, _Apply] = {
    "--memory": _set("mem_limit", _memory),
    "--memory-reservation": _set("mem_reservation", _memory),
    "--memory-swap": _set("memswap_limit", _memory),
    "--memory-swappiness": _set("mem_swappiness", _int),
    "--shm-size": _set("shm_size", _memory),
    "--cpus": _set("nano_cpus", _cpus),
    "--cpu-shares": _set("cpu_shares", _int),
    "--cpu-period": _set("cpu_period", _int),
    "--cpu-quota": _set("cpu_quota", _int),
    "--cpuset-cpus": _set("cpuset_cpus"),
    "--cpuset-mems": _set("cpuset_mems"),
    "--pids-limit": _set("pids_limit", _int),
    "--oom-score-adj": _set("oom_score_adj", _int),
    "--user": _set("user"),
    "--workdir": _set("working_dir"),
    "--hostname": _set("hostname"),
    "--domainname": _set("domainname"),
    "--mac-address": _set("mac_address"),
    "--stop-signal": _set("stop_signal"),
    "--platform": _set("platform"),
    "--runtime": _set("runtime"),
    "--ipc": _set("ipc_mode"),
    "--pid": _set("pid_mode"),
    "--userns": _set("userns_mode"),
    "--uts": _set("uts_mode"),
    "--cgroupns": _set("cgroupns"),
    "--cgroup-parent": _set("cgroup_parent"),
    "--isolation": _set("isolation"),
    "--restart": _restart,
    "--cap-add": _append("cap_add"),
    "--cap-drop": _append("cap_drop"),
    "--security-opt": _append("security_opt"),
    "--group-add": _append("group_add"),
    "--dns": _append("dns"),
    "--dns-search": _append("dns_search"),
    "--dns-option": _append("dns_opt"),
    "--device": _device,
    "--device-cgroup-rule": _append("device_cgroup_rules"),
    "--tmpfs": _tmpfs,
    "--sysctl": _key_value("sysctls"),
    "--storage-opt": _key_value("storage_opt"),
    "--ulimit": _ulimit,
    "--gpus": _gpus,
    # merged into the labels / extra hosts the runtime sets
    "--label": _key_value("__labels__"),
    "--add-host": _add_host,
}

_SHORT: dict[str, str] = {
    "-m": "--memory",
    "-u": "--user",
    "-w": "--workdir",
    "-h": "--hostname",
    "-l": "--label",
    "-c": "--cpu-shares",
}

_ALIASES: dict[str, str] = {"--dns-opt": "--dns-option"}

#: Flags aspyre manages itself, with what to use instead.
_MANAGED: dict[str, str] = {
    "-e": "set environment variables with with_environment()",
    "--env": "set environment variables with with_environment()",
    "--env-file": "set environment variables with with_environment()",
    "-p": "declare ports with with_endpoint() / with_http_endpoint()",
    "--publish": "declare ports with with_endpoint() / with_http_endpoint()",
    "-P": "declare ports with with_endpoint() / with_http_endpoint()",
    "--publish-all": "declare ports with with_endpoint() / with_http_endpoint()",
    "--expose": "declare ports with with_endpoint() / with_http_endpoint()",
    "-v": "use with_bind_mount() or with_volume()",
    "--volume": "use with_bind_mount() or with_volume()",
    "--mount": "use with_bind_mount() or with_volume()",
    "--volumes-from": "use with_bind_mount() or with_volume()",
    "--name": "use with_container_name()",
    "--network": "aspyre connects every container to its session network; add names with with_container_network_alias()",
    "--net": "aspyre connects every container to its session network; add names with with_container_network_alias()",
    "--network-alias": "use with_container_network_alias()",
    "--net-alias": "use with_container_network_alias()",
    "--entrypoint": "use with_entrypoint()",
    "--pull": "use with_image_pull_policy()",
    "--rm": "aspyre removes session containers itself; use with_lifetime() for persistent ones",
    "-d": "aspyre always runs containers detached",
    "--detach": "aspyre always runs containers detached",
    "-t": "aspyre reads container output as separate stdout/stderr streams, which a TTY would merge",
    "--tty": "aspyre reads container output as separate stdout/stderr streams, which a TTY would merge",
    "-i": "aspyre does not attach stdin",
    "--interactive": "aspyre does not attach stdin",
    "--log-driver": "aspyre streams container output into the resource log",
    "--log-opt": "aspyre streams container output into the resource log",
}


def supported_runtime_flags() -> list[str]:
    """Every accepted long flag (for documentation and error messages)."""
    return sorted([*_BOOL_FLAGS, *_VALUE_FLAGS])


def parse_runtime_args(args: Sequence[str], *, resource_name: str = "") -> RuntimeOptions:
    """Parse ``docker run``-style flags into SDK ``containers.create`` keyword arguments.

    Accepts ``--flag value``, ``--flag=value`` and the usual short forms (``-m``, ``-u``, ``-w``,
    ``-h``, ``-l``, ``-c``). Raises :class:`ValueError` naming the first flag that cannot be mapped.
    """
    where = f" of container resource '{resource_name}'" if resource_name else ""
    kwargs: dict[str, Any] = {}
    tokens = list(args)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not isinstance(token, str):
            raise TypeError(
                f"runtime argument {index} ({type(token).__name__}){where} is not a str: pass each flag as its own "
                "argument (with_container_runtime_args('--cpus', '1'), or *flags for a list)"
            )
        if not token.startswith("-") or token in {"-", "--"}:
            raise ValueError(
                f"unexpected runtime argument {token!r}{where}: runtime args are docker run flags "
                "(--memory=256m); pass container arguments with with_args()"
            )
        flag, has_value, inline = token.partition("=") if token.startswith("--") else (token, False, "")
        flag = _SHORT.get(flag, flag)
        flag = _ALIASES.get(flag, flag)
        if flag in _MANAGED or token in _MANAGED:
            advice = _MANAGED.get(flag) or _MANAGED[token]
            raise ValueError(f"container runtime flag {token.partition('=')[0]}{where} is not supported: {advice}")
        if flag in _BOOL_FLAGS:
            try:
                kwargs[_BOOL_FLAGS[flag]] = _bool(inline) if has_value else True
            except ValueError:
                raise ValueError(f"invalid value {inline!r} for container runtime flag {flag}{where}") from None
            continue
        apply = _VALUE_FLAGS.get(flag)
        if apply is None:
            raise ValueError(
                f"unsupported container runtime flag {token.partition('=')[0]}{where}; supported flags: "
                + ", ".join(supported_runtime_flags())
            )
        if has_value:
            value = inline
        else:
            if index >= len(tokens):
                raise ValueError(f"container runtime flag {flag}{where} needs a value")
            value = tokens[index]
            index += 1
        apply(kwargs, flag, value)
    labels: dict[str, str] = kwargs.pop("__labels__", {})
    hosts: dict[str, str] = kwargs.pop("__hosts__", {})
    for key in labels:
        if key.startswith(RESERVED_LABEL_PREFIX):
            raise ValueError(
                f"label {key!r}{where} uses the prefix {RESERVED_LABEL_PREFIX!r}, which is reserved for aspyre"
            )
    return RuntimeOptions(kwargs=kwargs, labels=labels, extra_hosts=hosts)
