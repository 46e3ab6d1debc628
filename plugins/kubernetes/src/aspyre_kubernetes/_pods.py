"""The parts of a pod spec the Kubernetes writer derives from the model: probes, volumes and mounts, waits."""

from __future__ import annotations

import logging
import math
import os
import posixpath
import re
from pathlib import Path
from typing import Any

import aspyre

from ._environment import KubernetesEnvironmentResource
from ._objects import KubernetesResource, dns_label, port_name

_NOT_KEY = re.compile(r"[^-._a-zA-Z0-9]+")


def _seconds(value: float, minimum: int = 1) -> int:
    return max(minimum, math.ceil(value))


class PodParts:
    """Probes, volumes, mounts and wait containers for one workload (a base of the writer)."""

    model: aspyre.model.DistributedApplicationModel
    manifest: aspyre.publishing.Manifest
    env: KubernetesEnvironmentResource
    out: Path
    logger: logging.Logger
    problems: list[str]
    _claims: set[str]

    def labels(self, name: str) -> dict[str, str]:
        raise NotImplementedError

    def selector(self, name: str) -> dict[str, str]:
        raise NotImplementedError

    def _probes(
        self,
        name: str,
        resource: aspyre.IResource,
        entry: aspyre.publishing.ManifestContainer | aspyre.publishing.ManifestExecutable,
        container: dict[str, Any],
    ) -> None:
        keys = {
            aspyre.annotations.ProbeType.READINESS: "readinessProbe",
            aspyre.annotations.ProbeType.LIVENESS: "livenessProbe",
            aspyre.annotations.ProbeType.STARTUP: "startupProbe",
        }
        for probe in resource.annotations.all(aspyre.annotations.ProbeAnnotation):
            spec: dict[str, Any]
            if isinstance(probe, aspyre.annotations.CommandProbeAnnotation):
                spec = {"exec": {"command": list(probe.command)}}
            elif isinstance(probe, aspyre.annotations.EndpointProbeAnnotation):
                binding = (entry.bindings or {}).get(probe.endpoint_name)
                if binding is None or binding.target_port is None:
                    self.problems.append(
                        f"resource {name!r}: its probe uses endpoint {probe.endpoint_name!r}, which it does not have"
                    )
                    continue
                http: dict[str, Any] = {"path": probe.path, "port": port_name(probe.endpoint_name)}
                if binding.scheme == "https":
                    http["scheme"] = "HTTPS"
                spec = {"httpGet": http}
            else:  # pragma: no cover - a probe type this version does not know
                continue
            if probe.initial_delay:
                spec["initialDelaySeconds"] = _seconds(probe.initial_delay, 0)
            spec["periodSeconds"] = _seconds(probe.period)
            spec["timeoutSeconds"] = _seconds(probe.timeout)
            spec["failureThreshold"] = probe.failure_threshold
            container[keys[probe.type]] = spec

    # -- volumes and files --------------------------------------------------------------------------
    def _mounts(
        self,
        name: str,
        entry: aspyre.publishing.ManifestContainer,
        res: KubernetesResource,
        resource: aspyre.IResource | None,
    ) -> None:
        label = dns_label(name)
        mounts: list[dict[str, Any]] = []
        for i, v in enumerate(entry.volumes or ()):
            if v.name is None:
                volume = f"{label}-scratch-{i}"
                res.volumes.append({"name": volume, "emptyDir": {}})
            else:
                volume = dns_label(v.name, "volume name")
                res.volumes.append({"name": volume, "persistentVolumeClaim": {"claimName": volume}})
                if volume not in self._claims:
                    self._claims.add(volume)
                    res.objects.append(self._claim(name, volume))
            mount: dict[str, Any] = {"name": volume, "mountPath": v.target}
            if v.read_only:
                mount["readOnly"] = True
            mounts.append(mount)
        files: dict[str, tuple[str, int]] = {}
        for f in [] if resource is None else resource.annotations.all(aspyre.annotations.DeploymentFileAnnotation):
            files[f.path] = (f.content, f.mode)
        for m in entry.bind_mounts or ():
            self._bind_mount(name, m, files)
        if files:
            config = f"{label}-files"
            keys: dict[str, str] = {}
            items: list[dict[str, Any]] = []
            for path, (_, mode) in sorted(files.items()):
                key = _NOT_KEY.sub("-", path.strip("/"))
                keys[path] = key
                item: dict[str, Any] = {"key": key, "path": key}
                if mode != 0o644:
                    item["mode"] = mode
                items.append(item)
            res.objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": config, "labels": self.labels(name)},
                    "data": {keys[p]: content for p, (content, _) in sorted(files.items())},
                }
            )
            res.volumes.append({"name": config, "configMap": {"name": config, "items": items}})
            for path in sorted(files):
                mounts.append({"name": config, "mountPath": path, "subPath": keys[path], "readOnly": True})
        res.container["volumeMounts"] = mounts

    def _claim(self, name: str, claim: str) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": self.env.storage_size}},
        }
        if self.env.storage_class is not None:
            spec["storageClassName"] = self.env.storage_class
        return {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim, "labels": self.labels(name)},
            "spec": spec,
        }

    def _bind_mount(
        self, name: str, mount: aspyre.publishing.ManifestBindMount, files: dict[str, tuple[str, int]]
    ) -> None:
        """A read-only bind mount becomes files of the resource's ConfigMap (Kubernetes cannot reach this
        machine's directories); a writable one cannot be expressed."""
        source = Path(os.path.normpath(self.out / mount.source))
        if not mount.read_only:
            self.problems.append(
                f"resource {name!r}: the writable bind mount {mount.source} -> {mount.target} cannot be deployed to "
                "Kubernetes (a pod cannot reach this machine's directories); use a volume (with_volume), or make it "
                "read-only to ship its files in a ConfigMap"
            )
            return
        if source.is_dir():
            found = {posixpath.join(mount.target, p.name): p for p in sorted(source.iterdir()) if p.is_file()}
        elif source.is_file():
            found = {mount.target: source}
        else:
            self.problems.append(f"resource {name!r}: the bind mount source {str(source)!r} does not exist")
            return
        for path, file in found.items():
            try:
                content = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                self.problems.append(f"resource {name!r}: {str(file)!r} is not a text file (ConfigMaps here hold text)")
                continue
            if path in files:
                self.problems.append(f"resource {name!r}: two files for {path}")
                continue
            files[path] = (content, 0o755 if os.access(file, os.X_OK) else 0o644)

    # -- order ---------------------------------------------------------------------------------------
    def _wait_container(self, target: str) -> dict[str, Any] | None:
        entry = self.manifest.resources.get(target)
        bindings = getattr(entry, "bindings", None) or {}
        binding = next((b for b in bindings.values() if b.target_port is not None and b.protocol == "tcp"), None)
        if binding is None:
            self.logger.warning("Resource %r has no TCP endpoint: nothing to wait for in Kubernetes", target)
            return None
        host = dns_label(target)
        script = f"until nc -z -w 2 {host} {binding.target_port}; do echo waiting for {target}; sleep 2; done"
        return {
            "name": f"wait-for-{host}"[:63].rstrip("-"),
            "image": self.env.wait_image,
            "command": ["sh", "-c", script],
        }

    def _waits(
        self, resource: aspyre.IResource, resources: dict[str, KubernetesResource], chain: list[str]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for wait in resource.annotations.all(aspyre.annotations.WaitAnnotation):
            target = aspyre.publishing.deployment_service_of(self.model, self.manifest, wait.resource.name)
            if target is None or target in chain or target not in resources:
                continue
            if wait.wait_type is aspyre.annotations.WaitType.WAIT_FOR_COMPLETION:
                if wait.exit_code != 0:
                    self.problems.append(
                        f"resource {resource.name!r} waits for {wait.resource.name!r} to exit with code "
                        f"{wait.exit_code}; an init container must succeed (exit code 0)"
                    )
                job = self.model.get(target)
                if job is not None:
                    out.extend(self._waits(job, resources, [*chain, target]))
                out.append(resources[target].container)
            else:
                container = self._wait_container(target)
                if container is not None:
                    out.append(container)
        unique: list[dict[str, Any]] = []
        for c in out:
            if all(c["name"] != u["name"] for u in unique):
                unique.append(c)
        return unique
