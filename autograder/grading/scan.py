"""What the instructor should look at: code in a submission that reaches for the grading machinery, and answers
that carry gancourse's own code.

``scan_notebook`` reads the cells a student wrote (solution cells and added cells; the instructor's cells are
nbgrader's to restore) for constructs an answer never needs and tampering always does: the autograder's or IPython's
internals, ``sys.modules``, frames, the garbage collector, code objects, builtins or library functions replaced,
files outside the submission, the process itself. A finding is a flag for a person to read, not a verdict: the
verdicts come from the isolated checks. ``copied_reference`` looks inside each collected answer (without
unpickling it) for gancourse's code objects.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import types
from functools import lru_cache
from pathlib import Path

_ATTRIBUTES = {
    "modules": "sys.modules (replacing or reading imported modules)", "ast_transformers": "IPython's AST transformers",
    "input_transformers_post": "IPython's input transformers", "input_transformers_cleanup": "IPython's input transformers",
    "_getframe": "the interpreter's stack frames", "f_locals": "a stack frame's variables",
    "f_globals": "a stack frame's variables", "f_back": "the caller's stack frame", "currentframe": "stack frames",
    "get_objects": "the garbage collector's objects", "get_referrers": "the garbage collector's objects",
    "__code__": "a function's code object", "__globals__": "a function's globals", "__closure__": "a closure",
    "__builtins__": "the builtins", "co_code": "bytecode", "CodeType": "code objects", "settrace": "a trace hook",
    "setprofile": "a profile hook", "_exit": "os._exit (ending the kernel)", "reload": "importlib.reload",
    "__torch_function__": "a tensor subclass that answers torch functions itself",
}
_MODULES = {"autograder": "the autograder", "ctypes": "ctypes (raw memory)", "sqlite3": "a database (the gradebook)",
            "subprocess": "starting processes", "signal": "signal handlers",
            "builtins": "the builtins"}
_PATCHABLE = {"torch", "np", "numpy", "math", "builtins", "F", "nn", "gancourse", "sys", "os", "autograder"}


def _student_cells(nb):
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or (meta and not meta.get("solution")):
            continue
        yield meta.get("grade_id") or f"cell {index} (added by the student)", cell.source


def _root(node) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str) -> list[tuple[int, str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and _ATTRIBUTES.get(node.attr):
            found.append((line, f"uses {_ATTRIBUTES[node.attr]} (.{node.attr})"))
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            found.append((line, "reads or changes environment variables (os.environ)"))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if _MODULES.get(top):
                    found.append((line, f"imports {top}: {_MODULES[top]}"))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root(target) in _PATCHABLE:
                    found.append((line, f"replaces {ast.unparse(target)} (a library's attribute)"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "setattr" and node.args and _root(node.args[0]) in _PATCHABLE:
                found.append((line, f"replaces an attribute of {ast.unparse(node.args[0])} (setattr)"))
            elif node.func.id in ("exec", "eval", "__import__", "compile"):
                found.append((line, f"calls {node.func.id}()"))
            elif node.func.id == "open" and node.args and isinstance(node.args[0], ast.Constant) and \
                    isinstance(node.args[0].value, str) and (node.args[0].value.startswith("/") or ".." in node.args[0].value):
                found.append((line, f"opens a file outside the submission ({node.args[0].value!r})"))
    return sorted(set(found))


def scan_notebook(nb) -> list[dict]:
    """One finding per cell and kind, with every line it occurs on (``"line": "3, 6"``)."""
    out = []
    for cell, source in _student_cells(nb):
        lines: dict[str, list[int]] = {}
        for line, what in scan_source(source):
            lines.setdefault(what, []).append(line)
        out += [{"cell": cell, "line": ", ".join(map(str, sorted(set(ls)))), "what": what} for what, ls in lines.items()]
    return out


@lru_cache(maxsize=1)
def _reference_code() -> dict[bytes, str]:
    """co_code (of at least 24 bytes) of every function and method in gancourse, by qualified name."""
    import gancourse
    found: dict[bytes, str] = {}

    def add(code: types.CodeType, name: str) -> None:
        if len(code.co_code) >= 24:
            found.setdefault(code.co_code, name)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                add(const, f"{name}.{const.co_name}")

    for info in pkgutil.walk_packages(gancourse.__path__, "gancourse."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            members = [obj] + (list(vars(obj).values()) if inspect.isclass(obj) else [])
            for member in members:
                member = getattr(member, "__func__", member)
                code = getattr(member, "__code__", None)
                if isinstance(code, types.CodeType) and getattr(member, "__module__", "") == info.name:
                    add(code, f"{info.name}.{getattr(member, '__qualname__', '?')}")
    return found


def copied_reference(collected: dict[str, Path]) -> list[dict]:
    """Answers whose pickled code was compiled from gancourse's files (a copied code object): zeroed by the judge.
    Answers whose bytecode equals a reference function's are listed with ``"same_bytecode"`` for a person to read."""
    import gancourse
    package = str(Path(gancourse.__file__).resolve().parent).encode()
    out = []
    for key, path in collected.items():
        data = Path(path).read_bytes()
        if package in data:
            out.append({"check": key, "what": "carries code compiled from gancourse's own files"})
            continue
        same = sorted({name for code, name in _reference_code().items() if code in data})
        if same:
            out.append({"check": key, "what": f"bytecode identical to {', '.join(same[:3])}", "same_bytecode": True})
    return out
