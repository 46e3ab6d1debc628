"""Python apps in the model: the four ways to add one, their environment, with_uv/with_pip/with_debugpy, the
manifest, and the Dockerfiles of the deployment publishers (no network, nothing runs)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

import aspyre
from aspyre.annotations import DebugpyAnnotation, EndpointAnnotation, PackageInstallAnnotation

from .helpers import copy_app


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")


def publish_builder(tmp_path: Path, publisher: str = "manifest") -> aspyre.DistributedApplicationBuilder:
    args = ["--publisher", publisher, "--output-path", str(tmp_path / "out")]
    return aspyre.DistributedApplication.create_builder(args, app_host_path=tmp_path / "apphost.py")


def fake_venv(where: Path, *scripts: str) -> Path:
    """A directory that looks like a virtual environment (an interpreter, console scripts)."""
    for name in ("python", *scripts):
        path = where / "bin" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return where


def test_an_app_directory_and_a_script(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    app = builder.add_python_app("api", "api", "main.py").resource
    assert (app.working_dir, app.script_path) == (tmp_path / "api", tmp_path / "api" / "main.py")
    assert app.command == sys.executable and app.virtual_environment is None  # no .venv: the app host's Python
    assert app.entrypoint_type is aspyre.PythonEntrypointType.SCRIPT
    assert app.entry_args() == ["-u", str(tmp_path / "api" / "main.py")]
    fake_venv(tmp_path / "web" / ".venv")
    web = builder.add_python_app("web", "web", "src/app.py").resource
    assert web.command == str(tmp_path / "web" / ".venv" / "bin" / "python")
    assert web.virtual_environment == tmp_path / "web" / ".venv"
    assert web.script_path == tmp_path / "web" / "src" / "app.py"


def test_the_short_form_names_the_script_alone(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    app = builder.add_python_app("api", "api/main.py", "--workers", 2).resource
    assert (app.working_dir, app.script_path) == (tmp_path / "api", tmp_path / "api" / "main.py")
    args = app.annotations.last(aspyre.annotations.CommandLineArgsAnnotation)
    assert args is not None and args.args == ("--workers", "2")
    (tmp_path / "tool").write_text("")  # an existing file without .py is a script too
    assert builder.add_python_app("tool", "tool", "--flag").resource.script_path == tmp_path / "tool"


def test_bad_python_apps_are_refused_early(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    with pytest.raises(ValueError, match=r"'svc' is a directory; name the script too: add_python_app\('svc', 'svc', 'main.py'\)"):
        builder.add_python_app("svc", "svc")
    with pytest.raises(ValueError, match="give the app's directory and its script"):
        builder.add_python_app("none")
    with pytest.raises(ValueError, match="either a script path or module=, not both"):
        builder.add_python_app("both", "svc", "main.py", module="svc.main")
    with pytest.raises(ValueError, match="'svc/main' is not a module name"):
        builder.add_python_module("mod", "svc", "svc/main")
    with pytest.raises(ValueError, match="'bin/celery' is not a console script name"):
        builder.add_python_executable("exe", "svc", "bin/celery")
    with pytest.raises(ValueError, match="'main' is not 'module:attribute'"):
        builder.add_uvicorn_app("uv", "svc", "main")
    with pytest.raises(ValueError, match=r"with_uv\(\) installs from pyproject\.toml or requirements\.txt"):
        builder.add_python_app("bare", "svc", "main.py").with_uv()
    with pytest.raises(ValueError, match=r"with_pip\(\) installs from pyproject\.toml or requirements\.txt"):
        builder.add_python_app("bare2", "svc", "main.py").with_pip()
    with pytest.raises(TypeError, match=r"add_python_module\(\) on resource 'm3': module must be a str, not int"):
        builder.add_python_module("m3", "svc", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"add_python_app\(\) on resource 'p3': app_dir: a path must be a str"):
        builder.add_python_app("p3", 3)  # type: ignore[arg-type]
    container = builder.add_container("c", "nginx")
    with pytest.raises(TypeError, match=r"with_uv\(\) needs a Python app \(PythonAppResource\); resource 'c'"):
        container.with_uv()  # type: ignore[misc]


def test_a_module_and_a_console_script(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    mod = builder.add_python_module("worker", "jobs", "jobs.worker").resource
    assert (mod.working_dir, mod.module, mod.entry_args()) == (tmp_path / "jobs", "jobs.worker", ["-u", "-m", "jobs.worker"])
    assert mod.entrypoint_type is aspyre.PythonEntrypointType.MODULE

    venv = fake_venv(tmp_path / "jobs" / ".venv", "celery")
    exe = builder.add_python_executable("celery", "jobs", "celery").with_args("worker").resource
    assert exe.entrypoint_type is aspyre.PythonEntrypointType.EXECUTABLE
    assert (exe.command, exe.interpreter) == (str(venv / "bin" / "celery"), str(venv / "bin" / "python"))
    assert exe.entry_args() == []
    # without an environment of its own: the console script beside the app host's interpreter
    pip = builder.add_python_executable("pip", "elsewhere", "pip").resource
    assert pip.command == str(Path(sys.executable).parent / "pip") and pip.interpreter == sys.executable


def test_with_uv_and_with_pip_manage_the_environment(
    builder: aspyre.DistributedApplicationBuilder, tmp_path: Path
) -> None:
    api = copy_app("api", tmp_path)  # pyproject.toml, no .venv yet
    app = builder.add_uvicorn_app("api", "api", "main:app").with_uv()
    resource = app.resource
    assert resource.virtual_environment == api / ".venv"
    assert resource.command == str(api / ".venv" / "bin" / "python")  # created before the first start
    install = resource.annotations.last(PackageInstallAnnotation)
    assert install is not None
    assert (install.installer, install.working_dir, install.state_dir) == ("uv", api, api / ".venv")
    assert install.inputs == ("pyproject.toml", "uv.lock", "requirements.txt", ".python-version")
    [sync] = install.plan()
    assert (Path(sync.command).name, sync.args, sync.env["UV_PROJECT_ENVIRONMENT"]) == ("uv", ("sync",), str(api / ".venv"))

    app.with_virtual_environment("../envs/api")  # moves the environment, and the install with it
    install = resource.annotations.last(PackageInstallAnnotation)
    assert install is not None and install.state_dir == tmp_path / "envs" / "api"
    assert resource.command == str(tmp_path / "envs" / "api" / "bin" / "python")
    assert len(resource.annotations.all(PackageInstallAnnotation)) == 1

    worker = copy_app("worker", tmp_path)  # requirements.txt only
    pip = builder.add_python_module("worker", "worker", "worker.main").with_pip(install_args=["--no-deps"]).resource
    install = pip.annotations.last(PackageInstallAnnotation)
    assert install is not None and install.installer == "pip"
    venv_step, pip_step = install.plan()
    assert (venv_step.command, venv_step.args) == (sys.executable, ("-m", "venv", str(worker / ".venv")))
    assert pip_step.command == str(worker / ".venv" / "bin" / "python")
    assert pip_step.args == ("-m", "pip", "install", "-r", "requirements.txt", "--no-deps")
    uv_pip = builder.add_python_module("worker2", "worker", "worker.main").with_uv().resource
    install = uv_pip.annotations.last(PackageInstallAnnotation)
    assert install is not None
    assert [s.args[:2] for s in install.plan()] == [("venv", "--clear"), ("pip", "install")]
    only_recorded = builder.add_python_module("worker3", "worker", "worker.main").with_uv(install=False).resource
    assert not only_recorded.annotations.has(PackageInstallAnnotation)


def test_debugpy_is_an_endpoint_in_run_mode_only(builder: aspyre.DistributedApplicationBuilder, tmp_path: Path) -> None:
    app = builder.add_python_app("api", "api", "main.py").with_debugpy(port=5678, wait_for_client=True).resource
    [endpoint] = app.annotations.all(EndpointAnnotation)
    assert (endpoint.name, endpoint.scheme, endpoint.port) == ("debugpy", "tcp", 5678)
    assert app.annotations.last(DebugpyAnnotation) == DebugpyAnnotation("debugpy", wait_for_client=True)
    published = publish_builder(tmp_path).add_python_app("api", "api", "main.py").with_debugpy().resource
    assert not published.annotations.has(EndpointAnnotation) and not published.annotations.has(DebugpyAnnotation)


@pytest.mark.anyio
async def test_the_manifest_of_each_kind(tmp_path: Path) -> None:
    copy_app("api", tmp_path)
    builder = publish_builder(tmp_path)
    api = builder.add_uvicorn_app("api", "api", "main:app", health_check_path="/health").with_uv()
    builder.add_python_module("worker", "api", "main").with_reference(api)
    builder.add_python_executable("celery", "api", "celery").with_args("worker", "--loglevel", "info")
    builder.add_python_app("script", "api", "main.py")
    await builder.build().run_async()
    resources = json.loads((tmp_path / "out" / "aspire-manifest.json").read_text(encoding="utf-8"))["resources"]
    assert resources["api"] == {
        "type": "executable.v0",
        "workingDirectory": "../api",
        "command": "python",
        "args": ["-u", "-m", "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "{api.bindings.http.targetPort}"],
        "env": {"PORT": "{api.bindings.http.targetPort}"},
        "bindings": {"http": {"scheme": "http", "protocol": "tcp", "transport": "http", "targetPort": 8000}},
    }
    assert resources["worker"]["args"] == ["-u", "-m", "main"]
    assert resources["worker"]["env"]["services__api__http__0"] == "{api.bindings.http.url}"
    assert (resources["celery"]["command"], resources["celery"]["args"]) == ("celery", ["worker", "--loglevel", "info"])
    assert resources["script"]["args"] == ["-u", "../api/main.py"]  # paths are relative to the manifest


def test_generated_dockerfiles_for_each_kind(
    builder: aspyre.DistributedApplicationBuilder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = copy_app("api", tmp_path)
    uvicorn = builder.add_uvicorn_app("api", "api", "main:app").resource
    dockerfile = aspyre.publishing.python_app_dockerfile(uvicorn)
    assert dockerfile.command == ("python", "-u", "-m", "uvicorn")
    assert dockerfile.description == "-m uvicorn"
    # uv's applications have no [build-system]: their dependencies are installed, the app is copied
    assert "RUN pip install 'starlette>=0.40' 'uvicorn>=0.30' 'redis>=5'\nCOPY . .\n" in dockerfile.text
    assert "RUN pip install .\n" not in dockerfile.text
    exe = builder.add_python_executable("celery", "api", "celery").resource
    dockerfile = aspyre.publishing.python_app_dockerfile(exe)
    assert (dockerfile.command, dockerfile.description) == (("celery",), "celery")
    assert 'CMD ["celery"]' in dockerfile.text and "(console script celery)" in dockerfile.text

    tool = copy_app("tool", tmp_path)  # a project with a [build-system] is installed
    module = builder.add_python_module("tool", "tool", "hello_tool").resource
    assert "COPY . .\nRUN pip install .\n" in aspyre.publishing.python_app_dockerfile(module).text

    fake_venv(api / ".venv")  # a local environment would be copied into the image
    with caplog.at_level(logging.WARNING, logger="aspyre.publishing"):
        aspyre.publishing.python_app_dockerfile(uvicorn)
    assert "has .venv and no .dockerignore" in caplog.text
    caplog.clear()
    (api / ".dockerignore").write_text(".venv\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="aspyre.publishing"):
        aspyre.publishing.python_app_dockerfile(uvicorn)
    assert caplog.text == ""
    assert tool.is_dir()


@pytest.mark.parametrize("publisher", ["docker-compose", "kubernetes"])
@pytest.mark.anyio
async def test_the_deployment_publishers_run_each_kind_from_its_dockerfile(tmp_path: Path, publisher: str) -> None:
    import yaml

    copy_app("api", tmp_path)
    builder = publish_builder(tmp_path, publisher)
    builder.add_uvicorn_app("api", "api", "main:app", health_check_path="/health").with_uv()
    builder.add_python_executable("celery", "api", "celery").with_args("worker")
    await builder.build().run_async()
    out = tmp_path / "out"
    assert (out / "api" / "Dockerfile").is_file() and (out / "celery" / "Dockerfile").is_file()
    if publisher == "docker-compose":
        services = yaml.safe_load((out / "docker-compose.yaml").read_text(encoding="utf-8"))["services"]
        api_command, celery_command = services["api"]["command"], services["celery"]["command"]
        assert services["api"]["healthcheck"]["test"][-1].endswith("urlopen('http://127.0.0.1:8000/health', timeout=3)")
    else:
        api_command = next(yaml.safe_load_all((out / "resources" / "api.yaml").read_text(encoding="utf-8")))
        api_command = api_command["spec"]["template"]["spec"]["containers"][0]["args"]
        celery = next(yaml.safe_load_all((out / "resources" / "celery.yaml").read_text(encoding="utf-8")))
        celery_command = celery["spec"]["template"]["spec"]["containers"][0]["args"]
    assert api_command == ["python", "-u", "-m", "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
    assert celery_command == ["celery", "worker"]
