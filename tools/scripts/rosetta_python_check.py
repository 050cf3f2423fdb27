"""Checks Python translations of README snippets as programs.

Usage: python3 rosetta_python_check.py INDEX.json FILE.py...

INDEX.json is what scripts/rosetta-programs.ts writes from the jsii
assemblies: {"modules": {python module: {"types": {name: {"statics": [...],
"calls": {callable: [keyword, ...]}}}, "submodules": [...]}}, "assemblies": [...]}.

For each file this prints one JSON line, {"file": ..., "problems": ["LINE: ..."]}:
- the file must pass py_compile (a syntax error is the only problem then);
- every `import X` and `from X import Y` must name a module of the index (or
  of Python's standard library) and a member that module has;
- every `Module.Type`, `Type.static_member` and `Type(...)` reached from an
  imported name must exist, and the keyword arguments of a call to a type or
  a static method must be parameters or struct properties of the callee;
- every name the file reads must be imported, assigned or defined in it (in
  any scope: the check does not follow Python's scoping rules), or a builtin,
  unless the file imports `*`.

Names that are not imported (local variables, attributes of values) are not
followed: their types are not known without the bindings themselves.
"""
import ast
import builtins
import json
import os
import py_compile
import sys
import tempfile


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        index = json.load(f)
    modules = index["modules"]
    assemblies = ", ".join(index.get("assemblies", []))
    roots = {name.split(".")[0] for name in modules}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sys.argv[2:]:
            problems = []
            try:
                py_compile.compile(path, cfile=os.path.join(tmp, "out.pyc"), doraise=True)
            except py_compile.PyCompileError as e:
                err = e.exc_value
                line = getattr(err, "lineno", None) or 0
                problems.append(f"{line}: does not compile (py_compile): {getattr(err, 'msg', e.msg)}")
            else:
                with open(path, encoding="utf-8") as f:
                    tree = ast.parse(f.read(), path)
                checker = Checker(modules, roots, assemblies)
                checker.visit(tree)
                problems.extend(checker.problems)
                problems.extend(undefined_names(tree))
            print(json.dumps({"file": path, "problems": problems}))


class Checker(ast.NodeVisitor):
    def __init__(self, modules, roots, assemblies):
        self.modules = modules
        self.roots = roots
        self.assemblies = assemblies
        self.bindings = {}
        self.problems = []

    def problem(self, node, text):
        entry = f"{getattr(node, 'lineno', 0)}: {text}"
        if entry not in self.problems:
            self.problems.append(entry)

    # -- imports --------------------------------------------------------------

    def known_module(self, node, name):
        """Whether `name` is a module of the index; reports it when it is not and is not the standard library's."""
        if name in self.modules:
            return True
        top = name.split(".")[0]
        if top not in self.roots and top in getattr(sys, "stdlib_module_names", ()):
            return False
        self.problem(node, f"module {name} is in none of the jsii assemblies ({self.assemblies}) nor Python's standard library")
        return False

    def visit_Import(self, node):
        for alias in node.names:
            if not self.known_module(node, alias.name):
                continue
            if alias.asname:
                self.bindings[alias.asname] = ("module", alias.name)
            else:
                top = alias.name.split(".")[0]
                self.bindings[top] = ("module", top) if top in self.modules else None

    def visit_ImportFrom(self, node):
        if node.level:
            self.problem(node, "a relative import cannot be copied into an app")
            return
        if not self.known_module(node, node.module):
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            target = self.member(node, ("module", node.module), alias.name)
            if target is not None:
                self.bindings[alias.asname or alias.name] = target

    # -- names, attributes and calls ---------------------------------------------

    def member(self, node, owner, name):
        """What `owner.name` is, or None (reported) when `owner` is known and has no such member."""
        if owner[0] == "module":
            module = self.modules[owner[1]]
            if name in module["types"]:
                return ("type", owner[1], name)
            if name in module["submodules"]:
                return ("module", f"{owner[1]}.{name}")
            self.problem(node, f"module {owner[1]} has no member {name}")
            return None
        if owner[0] == "type":
            type_ = self.modules[owner[1]]["types"][owner[2]]
            if name in type_["statics"]:
                nested = self.modules[owner[1]]["types"].get(name)
                if nested is not None and name not in type_["calls"]:
                    return ("type", owner[1], name)
                return ("static", owner[1], owner[2], name)
            self.problem(node, f"{owner[1]}.{owner[2]} has no static member {name}")
            return None
        return None

    def resolve(self, node):
        """The import-bound thing an expression names, or None; visits what it does not resolve."""
        if isinstance(node, ast.Name):
            return self.bindings.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.resolve(node.value)
            if owner is None:
                return None
            return self.member(node, owner, node.attr)
        self.visit(node)
        return None

    def visit_Attribute(self, node):
        self.resolve(node)

    def visit_Assign(self, node):
        for value in [node.value]:
            self.visit(value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                # A local variable of the same name hides an import from here on.
                self.bindings.pop(target.id, None)
            else:
                self.visit(target)

    def visit_Call(self, node):
        callee = self.resolve(node.func)
        keywords = None
        if callee is not None and callee[0] == "type":
            keywords = self.modules[callee[1]]["types"][callee[2]]["calls"].get("__init__")
            label = f"{callee[1]}.{callee[2]}"
            if keywords is None and node.keywords:
                keywords = []
        elif callee is not None and callee[0] == "static":
            keywords = self.modules[callee[1]]["types"][callee[2]]["calls"].get(callee[3])
            label = f"{callee[1]}.{callee[2]}.{callee[3]}"
        if keywords is not None:
            for kw in node.keywords:
                if kw.arg is not None and kw.arg not in keywords:
                    self.problem(kw, f"{label}() has no keyword argument {kw.arg}")
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)


def undefined_names(tree):
    """One problem for each name the module reads that nothing in it binds and that is not a builtin."""
    bound = set(dir(builtins))
    star = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    star = True
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    if star:
        return []
    problems = []
    seen = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound and node.id not in seen:
            seen.add(node.id)
            problems.append((node.lineno, f"{node.lineno}: uses {node.id} without importing or defining it"))
    return [text for _, text in sorted(problems)]


if __name__ == "__main__":
    main()
