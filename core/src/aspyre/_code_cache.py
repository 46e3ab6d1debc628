"""The methods attrs generates for aspyre's classes, compiled once and kept on disk like ``.pyc`` files.

A utility below every room, installed by ``aspyre/__init__.py`` before any of aspyre's classes exists. attrs
writes the source of ``__init__``, ``__repr__``, ``__eq__`` and ``__hash__`` of every class it makes and compiles
it with ``compile()`` when the class is created, in every process: for the hundred-odd classes an app host's
builder defines that is about 130,000 characters of source and a third of the start-up time. Python keeps the
compiled code of modules in ``__pycache__``; this keeps the compiled code of these generated methods, so a
process after the first one only loads it (``marshal``) and runs it, exactly as attrs would have.

It wraps ``attr._make._compile_and_eval`` (the one place attrs compiles generated source), only for classes of
modules named ``aspyre...`` (the core and its plugins) and of attrs' own ``attr.*`` modules (the validator
classes ``import attrs`` makes after ``attr._make``: a tenth of its import); every other class passes through
untouched. The classes ``attr._make`` defines for itself (``Attribute``, ``Factory``...) are made while it runs,
before it can be wrapped: for that time ``compile`` and ``eval`` in its globals are the cache's (:class:`_Bootstrap`).
The key is the generated file name and the whole source text, so a class that changed gets a new entry, never old code.
The only part of the source that differs between processes, the random per-class salt attrs puts in
``__hash__``, becomes a global of the generated function, set to this process's value. When attrs does not
look as expected (another ``_compile_and_eval``), nothing is installed.

The files are in ``$XDG_CACHE_HOME/aspyre/attrs-<python>/`` (``~/.cache/aspyre`` when ``XDG_CACHE_HOME`` is
not set), one per module (``aspyre._model._annotations.bin``), so a process reads only those of the modules it
imports: a header with a CRC-32 of the ``marshal`` payload, written atomically when a process compiled something
new for that module (at exit), ignored when damaged, and pruned to what the last writer used when it grows past
``_MAX_ENTRIES``. ``ASPYRE_CODE_CACHE=0`` turns it off.
"""

from __future__ import annotations

import functools
import marshal
import os
import sys
from collections.abc import Callable, Mapping
from types import CodeType, ModuleType
from typing import TYPE_CHECKING, Any

from ._user_cache import cache_directory, cache_enabled, read_record, write_record

__all__ = ["CACHE_ENV", "CodeCache", "install", "installed_cache"]

#: The environment variable that turns the cache off (``0``, ``false``, ``no`` or ``off``).
CACHE_ENV = "ASPYRE_CODE_CACHE"

_MAGIC = b"aspyre attrs code 1\n"
#: More entries than this in a module's file (its classes changed many times during development): keep only
#: what the process that writes it used.
_MAX_ENTRIES = 200
#: The global that holds attrs' per-class hash salt in cached ``__hash__`` methods.
_SALT = "_aspyre_attrs_type_hash"
_FILENAME_PREFIX = "<attrs generated "
_MODULE = "attr._make"
#: The modules whose classes' generated methods are kept: aspyre's (the core, its plugins) and attrs' own.
_CACHED_MODULES = ("aspyre", "attr.")

if TYPE_CHECKING:
    _CompileAndEval = Callable[[str, dict[str, Any] | None, Mapping[str, object] | None, str], None]


class CodeCache:
    """The compiled code of generated methods, by generated file name and source text, one file per module."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._tables: dict[str, dict[str, bytes]] = {}
        self._used: dict[str, dict[str, bytes]] = {}
        self._dirty: set[str] = set()
        #: How many generated sources this process compiled, and how many it found here.
        self.misses = 0
        self.hits = 0

    def path(self, shard: str) -> str:
        """The file that holds the code of the classes of module ``shard``."""
        return os.path.join(self.directory, f"{shard}.bin")

    def _table(self, shard: str) -> dict[str, bytes]:
        table = self._tables.get(shard)
        if table is None:
            table = self._tables[shard] = read_table(self.path(shard))
        return table

    def code(self, filename: str, source: str) -> CodeType:
        """The code of ``source`` compiled as ``filename``: from the cache, or compiled (and kept) now."""
        # "<attrs generated methods MODULE.QUALNAME>": the module of a top-level class (of an outer class for a
        # nested one), and a file name of only the characters a module name has.
        shard = filename[len(_FILENAME_PREFIX) : -1].partition(" ")[2].rpartition(".")[0]
        shard = "".join(c if c.isalnum() or c in "._" else "_" for c in shard) or "_"
        key = f"{filename}\n{source}"
        table = self._table(shard)
        data = table.get(key)
        if data is not None:
            try:
                code = marshal.loads(data)
            except (EOFError, ValueError, TypeError):
                code = None
            if isinstance(code, CodeType) and code.co_filename == filename:
                self.hits += 1
                self._used.setdefault(shard, {})[key] = data
                return code
        code = compile(source, filename, "exec")
        self.misses += 1
        data = marshal.dumps(code)
        table[key] = data
        self._used.setdefault(shard, {})[key] = data
        if not self._dirty:
            import atexit

            atexit.register(self.save)
        self._dirty.add(shard)
        return code

    def save(self) -> bool:
        """Write the files of the modules this process compiled something new for; returns whether it wrote any
        (and all of them)."""
        ok = bool(self._dirty)
        for shard in sorted(self._dirty):
            table = self._tables[shard]
            if len(table) > _MAX_ENTRIES:
                table = dict(self._used.get(shard, {}))
            ok = write_table(self.path(shard), table) and ok
        self._dirty.clear()
        return ok


def read_table(path: str) -> dict[str, bytes]:
    """The table in ``path``; empty when it is missing, damaged or of another layout."""
    table = read_record(path, _MAGIC)
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, bytes) for k, v in table.items()):
        return {}
    return table


def write_table(path: str, table: dict[str, bytes]) -> bool:
    """Write ``table`` to ``path`` atomically, with the header and checksum :func:`read_table` checks."""
    return write_record(path, _MAGIC, table)


def _salted(source: str, filename: str) -> tuple[str, int | None]:
    """``source`` with attrs' per-class hash salt replaced by the global :data:`_SALT`, and the salt.

    attrs salts ``__hash__`` with ``hash("<attrs generated hash MODULE.QUALNAME>")``, a number that changes
    with every process (string hashing is randomised); ``filename`` names the same class.
    """
    qualname = filename[len(_FILENAME_PREFIX) : -1].partition(" ")[2]
    candidates = [qualname]
    base, dash, count = qualname.rpartition("-")
    if dash and count.isdigit():  # attrs numbers the file names of a class defined twice
        candidates.append(base)
    for name in candidates:
        salt = hash(f"{_FILENAME_PREFIX}hash {name}>")
        token = f" {salt},\n"
        if token in source:
            return source.replace(token, f" {_SALT},\n"), salt
    return source, None


def _wrap(original: _CompileAndEval, cache: CodeCache) -> _CompileAndEval:
    def compile_and_eval(
        script: str, globs: dict[str, Any] | None, locs: Mapping[str, object] | None = None, filename: str = ""
    ) -> None:
        qualname = filename[len(_FILENAME_PREFIX) :].partition(" ")[2]
        if globs is None or not filename.startswith(_FILENAME_PREFIX) or not qualname.startswith(_CACHED_MODULES):
            return original(script, globs, locs, filename)
        source, salt = _salted(script, filename)
        code = cache.code(filename, source)
        if salt is not None:
            globs[_SALT] = salt
        eval(code, globs, locs)  # what attrs does with the code it compiles
        return None

    compile_and_eval.__wrapped__ = original  # type: ignore[attr-defined]
    return compile_and_eval


_cache: CodeCache | None = None


def installed_cache() -> CodeCache | None:
    """The cache this process uses, once attrs is imported and patched (``None`` before, or when off)."""
    return _cache


def _new_cache() -> CodeCache:
    tag = sys.implementation.cache_tag or "python"
    return CodeCache(os.path.join(cache_directory(), f"attrs-{tag}-{sys.hexversion:x}"))


def _patch(module: ModuleType, cache: CodeCache | None = None) -> None:
    global _cache
    original = getattr(module, "_compile_and_eval", None)
    code = getattr(original, "__code__", None)
    if original is None or code is None or code.co_varnames[:4] != ("script", "globs", "locs", "filename"):
        return  # not the attrs this was written for: leave it alone
    _cache = cache if cache is not None else _new_cache()
    module._compile_and_eval = _wrap(original, _cache)  # type: ignore[attr-defined]


class _Bootstrap:
    """``compile`` and ``eval`` for ``attr._make`` while it runs: the classes it defines for itself (``Attribute``,
    ``Factory``...) have their generated methods compiled through ``_compile_and_eval`` before it can be wrapped;
    these two names, put in the module's globals for that time, take the builtins' place there."""

    def __init__(self, cache: CodeCache) -> None:
        self.cache = cache
        self._salts: dict[int, int] = {}

    def compile(self, source: str, filename: str, mode: str, *args: Any, **kwargs: Any) -> CodeType:
        cached = isinstance(filename, str) and filename.startswith(_FILENAME_PREFIX) and mode == "exec"
        if (
            not cached
            or args
            or kwargs
            or not filename[len(_FILENAME_PREFIX) :].partition(" ")[2].startswith(_CACHED_MODULES)
        ):
            return compile(source, filename, mode, *args, **kwargs)  # type: ignore[no-any-return]
        salted, salt = _salted(source, filename)
        code = self.cache.code(filename, salted)
        if salt is not None:
            self._salts[id(code)] = salt
        return code

    def eval(self, code: Any, globs: dict[str, Any] | None = None, locs: Mapping[str, object] | None = None) -> Any:
        salt = self._salts.pop(id(code), None) if isinstance(code, CodeType) else None
        if salt is not None and globs is not None:
            globs[_SALT] = salt
        return eval(code, globs, locs)


#: The module of attrs that imports :mod:`platform`, only to ask whether the interpreter is PyPy.
_COMPAT = "attr._compat"


def _python_implementation() -> str:
    return "CPython"


def _real_platform_attribute(name: str) -> Any:
    """What the stand-in for :mod:`platform` does not know itself: the real module's answer (imported then), so a
    later attrs that asks :mod:`platform` something else while importing still gets the right answer."""
    import platform

    return getattr(platform, name)


def _exec_without_platform(exec_module: Callable[[ModuleType], None], module: ModuleType) -> None:
    """Run ``attr._compat`` with its ``import platform`` answered by a stand-in that only says "CPython".

    :mod:`platform` compiles a dozen patterns when imported (about 1.5 ms, a twentieth of an app host's builder
    path) and attrs asks it one question whose answer on CPython is known. The stand-in is given to this module
    alone, through the ``__import__`` of its builtins while it runs (no other module or thread can see it); after,
    ``attr._compat.platform`` is the real module, imported when first read (the few functions that module defines
    keep the builtins they were made with, the same objects). Elsewhere than on CPython, or when the module does not
    look as expected, it runs as usual.
    """
    import builtins

    namespace = module.__dict__
    real_import = builtins.__import__
    stand_in = ModuleType("platform")
    stand_in.python_implementation = _python_implementation  # type: ignore[attr-defined]
    stand_in.__dict__["__getattr__"] = _real_platform_attribute  # any other question: the real module

    def import_(name: str, globs: Any = None, locs: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if name == "platform" and level == 0 and not fromlist:
            return sys.modules.get("platform", stand_in)
        return real_import(name, globs, locs, fromlist, level)

    if sys.implementation.name != "cpython" or "__builtins__" in namespace or "__getattr__" in namespace:
        exec_module(module)
        return
    namespace["__builtins__"] = {**builtins.__dict__, "__import__": import_}
    try:
        exec_module(module)
    finally:
        namespace["__builtins__"] = builtins.__dict__
    if namespace.get("platform") is stand_in:
        del namespace["platform"]

        def __getattr__(name: str) -> Any:
            if name == "platform":
                import platform

                namespace["platform"] = platform
                return platform
            raise AttributeError(f"module {_COMPAT!r} has no attribute {name!r}")

        namespace["__getattr__"] = __getattr__


class _AttrsFinder:
    """Patches ``attr._make`` right after it is imported (installed only until then); runs ``attr._compat``, imported
    just before it, without :mod:`platform` (:func:`_exec_without_platform`)."""

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in (_MODULE, _COMPAT):
            return None
        if name == _MODULE:
            _remove_finder()
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        loader = getattr(spec, "loader", None)
        exec_module = getattr(loader, "exec_module", None)
        if spec is None or exec_module is None:
            return None  # another finder provides attrs: let it, unpatched
        if name == _COMPAT:
            loader.exec_module = functools.partial(_exec_without_platform, exec_module)  # type: ignore[union-attr]
            return spec

        def exec_and_patch(module: ModuleType) -> None:
            cache = _new_cache()
            boot = _Bootstrap(cache)
            namespace = module.__dict__
            namespace["compile"], namespace["eval"] = boot.compile, boot.eval
            try:
                exec_module(module)
            finally:
                if namespace.get("compile") == boot.compile:
                    del namespace["compile"]
                if namespace.get("eval") == boot.eval:
                    del namespace["eval"]
            _patch(module, cache)

        loader.exec_module = exec_and_patch  # type: ignore[union-attr]
        return spec


def _remove_finder() -> None:
    try:
        sys.meta_path.remove(_AttrsFinder)
    except ValueError:
        pass


def install() -> None:
    """Cache attrs' generated methods for aspyre's classes, unless ``ASPYRE_CODE_CACHE`` is off.

    Patches ``attr._make`` now if it is imported, else as soon as it is. Calling it again does nothing.
    """
    if not cache_enabled(CACHE_ENV) or _cache is not None or _AttrsFinder in sys.meta_path:
        return
    module = sys.modules.get(_MODULE)
    if module is not None:
        _patch(module)
    else:
        sys.meta_path.insert(0, _AttrsFinder)
