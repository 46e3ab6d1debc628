"""``aspyre new``: start an app host, or a complete integration distribution, from the templates in ``_templates``.

``aspyre new apphost [DIR]`` writes ``apphost.py`` and ``web/main.py`` (a Python web app, with Redis when
aspyre-redis is installed): ``aspyre run DIR`` runs it. ``aspyre new integration NAME`` writes ``aspyre-NAME/``:
a pyproject with entry points, a resource, a builder method, a resource method, a health check, a stand-in
server, tests using :mod:`aspyre.testing` and a docs page; ``pip install -e "aspyre-NAME[test]"`` then
``pytest`` passes unchanged.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from aspyre._plugins import GROUP_BUILDER_METHODS, registry
from aspyre._version import __version__

if TYPE_CHECKING:
    from ._main import _Context

__all__ = ["integration_names", "new_command", "supported_aspyre"]

TEMPLATES = Path(__file__).resolve().parent / "_templates"

#: Template file -> where it goes in an integration (``{package}`` and ``{name}`` filled in).
_INTEGRATION_FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "docs.md.tmpl": "docs/{name}.md",
    "__init__.py.tmpl": "src/{package}/__init__.py",
    "_resource.py.tmpl": "src/{package}/_resource.py",
    "_builder.py.tmpl": "src/{package}/_builder.py",
    "_health.py.tmpl": "src/{package}/_health.py",
    "_server.py.tmpl": "src/{package}/_server.py",
    "apphost.py.tmpl": "tests/apphost.py",
    "test.py.tmpl": "tests/test_{name_id}.py",
}


def supported_aspyre(version: str = __version__) -> str:
    """The specifier a new plugin declares: this plugin API up to the release that may remove what it deprecates.

    ``>=0.1,<0.3`` for aspyre 0.1 (0.2 may deprecate, 0.3 remove); ``>=1.4,<2`` from 1.0 on.
    """
    major, minor = (int(p) for p in version.split(".")[:2])
    if major == 0:
        return f">={major}.{minor},<{major}.{minor + 2}"
    return f">={major}.{minor},<{major + 1}"


def integration_names(name: str) -> dict[str, str]:
    """The names derived from ``name`` (``my-service``): distribution, package, method, class..."""
    base = name.strip().lower()
    base = re.sub(r"^aspyre[-_.]", "", base)
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-")
    if not base or not base[0].isalpha():
        raise ValueError(
            f"{name!r} is not a usable integration name: give letters, digits and dashes, starting with a letter "
            "(e.g. 'minio' makes aspyre-minio with builder.add_minio())"
        )
    ident = base.replace("-", "_")
    title = "".join(part.capitalize() for part in base.split("-"))
    var = ident if not keyword.iskeyword(ident) else f"{ident}_"
    return {
        "name": base,
        "name_id": ident,
        "name_var": var,
        "dist": f"aspyre-{base}",
        "package": f"aspyre_{ident}",
        "method": f"add_{ident}",
        "cls": f"{title}Resource",
        "title": title,
        "aspyre_spec": supported_aspyre(),
    }


def _render(template: str, values: dict[str, str]) -> str:
    return Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values)


def _write(files: dict[Path, str], force: bool) -> list[Path]:
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise FileExistsError(
            f"{existing[0]} exists"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else "")
            + ": choose another directory, or pass --force to overwrite"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def new_apphost(directory: Path, *, redis: bool, force: bool = False) -> list[Path]:
    """Write ``apphost.py`` and ``web/main.py`` into ``directory``; Redis when asked and aspyre-redis is usable."""
    with_redis = redis and any(
        registry().selection().allows(e) for e in registry().find(GROUP_BUILDER_METHODS, "add_redis")
    )
    values = {
        "redis_lines": 'cache = builder.add_redis("cache")  # from aspyre-redis: a Redis container (needs Docker)\n'
        if with_redis
        else "",
        "web_redis": "\n    .with_reference(cache)  # ConnectionStrings__cache, CACHE_URI...\n    .wait_for(cache)  # starts once Redis answers"
        if with_redis
        else "",
    }
    files = {
        directory / "apphost.py": _render("apphost/apphost.py.tmpl", values).replace("\n\n\nweb", "\n\nweb"),
        directory / "web" / "main.py": _render("apphost/main.py.tmpl", values),
    }
    return _write(files, force)


def new_integration(name: str, parent: Path, *, force: bool = False) -> tuple[Path, list[Path]]:
    """Write the distribution ``aspyre-NAME`` into ``parent``; returns its directory and the files written."""
    values = integration_names(name)
    root = parent / values["dist"]
    files: dict[Path, str] = {}
    for template, target in _INTEGRATION_FILES.items():
        files[root / target.format(**values)] = _render(f"integration/{template}", values)
    files[root / "src" / values["package"] / "py.typed"] = ""
    return root, _write(files, force)


def new_command(ctx: _Context, template: str, name: str | None, *, output: str | None, force: bool, redis: bool) -> int:
    """``aspyre new apphost [DIR]`` / ``aspyre new integration NAME``."""
    from rich.markup import escape

    try:
        if template == "apphost":
            directory = Path(name or ".").absolute()
            written = new_apphost(directory, redis=redis, force=force)
            ctx.out.print(f"Wrote {', '.join(escape(str(p)) for p in written)}", soft_wrap=True)
            shown = name or "."
            ctx.out.print(f"Run it with: aspyre run {escape(shown)}   (describe it: aspyre describe {escape(shown)})")
            return 0
        if not name:
            ctx.error("aspyre new integration needs a name: aspyre new integration NAME (e.g. minio)")
            return 2
        root, written = new_integration(name, Path(output or ".").absolute(), force=force)
    except (ValueError, OSError) as exc:
        ctx.error(str(exc))
        return 1
    ctx.out.print(f"Wrote {len(written)} files to {escape(str(root))}", soft_wrap=True)
    ctx.out.print(
        escape(f'Next: pip install -e "{root}[test]", then pytest {root}, aspyre plugins --check and aspyre stubs'),
        soft_wrap=True,
    )
    return 0
