"""The code checker: a trusted process that statically checks code actions.

It never runs the code it checks: it only parses it (ast.parse) and walks the tree.
The host starts it with `python3 -I` and talks JSON lines on a socket (fd 3):

  checker -> host  {"ready":true,"pid":N,"python":"3.x.y"}
  host -> checker  {"code":"...","forbid_imports":["ctypes",...],"forbid_calls":["os.system",...]}
  checker -> host  {"ok":true,"message":""} or {"ok":false,"message":"line 3, column 5: ..."}

Forbidden imports cover the module and its submodules; forbidden calls are dotted
names with shell-style wildcards ("os.exec*"). Names are resolved through imports
(`import os as o`, `from os import system as s`), and `__import__("x")` /
`importlib.import_module("x")` with a literal name count as imports. Any reference
to a forbidden name is reported, called or not (`f = os.system` is caught too).
"""
import ast
import fnmatch
import os
import re
import sys

MAX_FINDINGS = 10
MAX_MESSAGE = 4000
SOURCE_WINDOW = 120  # characters of the offending line shown under a syntax error
IMPORT_FUNCTIONS = ("__import__", "builtins.__import__", "importlib.import_module",
                    "importlib.__import__")


class _Patterns:
    """Dotted-name patterns; a name matches one itself or as a submodule/attribute of it."""

    def __init__(self, patterns):
        self.exact = set()
        self.wild = []
        self.roots = set()  # first components, for a cheap first test; None = any
        for pattern in patterns:
            if any(c in pattern for c in "*?["):
                self.wild.append(re.compile(fnmatch.translate(pattern)))
            else:
                self.exact.add(pattern)
            root = pattern.split(".")[0]
            if self.roots is not None:
                self.roots = None if any(c in root for c in "*?[") else self.roots | {root}

    def match(self, name):
        if self.roots is not None and name.split(".", 1)[0] not in self.roots:
            return False
        prefix = name
        while True:
            if prefix in self.exact:
                return True
            dot = prefix.rfind(".")
            if dot < 0:
                break
            prefix = prefix[:dot]
        return any(w.match(name) for w in self.wild)


_PATTERN_CACHE = {}  # every request carries the same rules: compile them once


def _patterns(patterns):
    key = tuple(patterns)
    compiled = _PATTERN_CACHE.get(key)
    if compiled is None:
        if len(_PATTERN_CACHE) > 16:
            _PATTERN_CACHE.clear()
        compiled = _PATTERN_CACHE[key] = _Patterns(key)
    return compiled


def _where(node):
    return "line %d, column %d: " % (node.lineno, node.col_offset + 1)


class _Checker:
    def __init__(self, forbid_imports, forbid_calls):
        self.forbid_imports = _patterns(forbid_imports)
        self.forbid_calls = _patterns(forbid_calls)
        self.aliases = {}        # local name -> dotted name it stands for
        self.star_modules = []   # modules imported with `from m import *`
        self.findings = []       # (line, column, message)

    def report(self, node, text):
        self.findings.append((node.lineno, node.col_offset, _where(node) + text))

    def check_import(self, node, module):
        if self.forbid_imports.match(module):
            self.report(node, "import of %s is not allowed" % module)
            return True
        return False

    def check_name(self, node, dotted):
        if self.forbid_calls.match(dotted):
            self.report(node, "%s is not allowed" % dotted)
            return True
        return False

    def collect_imports(self, imports):
        """Records what each imported name stands for (anywhere in the file)."""
        for node in imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.aliases[top] = top
            elif not node.level and node.module:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_modules.append(node.module)
                    else:
                        self.aliases[alias.asname or alias.name] = node.module + "." + alias.name

    def dotted(self, node):
        """The dotted name an expression stands for (resolved through imports), or None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(self.aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    def visit_import(self, node):
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.check_import(node, alias.name)
        elif not node.level and node.module:
            if not self.check_import(node, node.module):
                for alias in node.names:
                    name = node.module + "." + alias.name
                    if alias.name != "*" and not self.check_import(node, name):
                        self.check_name(node, name)

    def visit_call(self, node):
        name = self.dotted(node.func)
        args = node.args
        if name in IMPORT_FUNCTIONS and args and _literal(args[0]):
            self.check_import(node, args[0].value)
        elif name in ("getattr", "builtins.getattr") and len(args) >= 2 and _literal(args[1]):
            base = self.dotted(args[0])
            if base:
                self.check_name(node, base + "." + args[1].value)

    def visit_reference(self, node):
        """A Name or the outermost Attribute of a chain: os.system, o.system, system."""
        name = self.dotted(node)
        if name is None or self.check_name(node, name):
            return
        if isinstance(node, ast.Name) and node.id not in self.aliases:
            for module in self.star_modules:
                if self.check_name(node, module + "." + node.id):
                    return

    def run(self, tree):
        imports, calls, references = [], [], []
        inner = set()  # ids of Attribute/Name nodes inside a longer chain
        for node in _walk(tree):
            kind = type(node)
            if kind is ast.Attribute:
                inner.add(id(node.value))
                references.append(node)
            elif kind is ast.Name:
                references.append(node)
            elif kind is ast.Call:
                calls.append(node)
            elif kind is ast.Import or kind is ast.ImportFrom:
                imports.append(node)
        self.collect_imports(imports)
        for node in imports:
            self.visit_import(node)
        for node in calls:
            self.visit_call(node)
        for node in references:
            if id(node) not in inner:
                self.visit_reference(node)
        self.findings.sort()
        return [text for _, _, text in self.findings]


def _walk(tree):
    """Every node of the tree, iteratively (no recursion limit), cheaper than ast.walk."""
    nodes, todo = [], [tree]
    AST = ast.AST
    while todo:
        node = todo.pop()
        nodes.append(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, AST))
            elif isinstance(value, AST):
                todo.append(value)
    return nodes


def _literal(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _syntax_message(error):
    line = error.lineno or 1
    column = error.offset or 1
    text = "line %d, column %d: %s: %s" % (line, column, type(error).__name__, error.msg)
    if error.text:
        source = error.text.rstrip("\n")
        start = max(0, column - 1 - SOURCE_WINDOW // 2) if len(source) > SOURCE_WINDOW else 0
        source = source[start:start + SOURCE_WINDOW]
        text += "\n    %s\n    %s^" % (source, " " * max(0, column - 1 - start))
    return text


def check(code, forbid_imports=(), forbid_calls=()):
    """Returns (ok, message). Never executes `code`."""
    try:
        tree = ast.parse(code, filename="<action>", mode="exec")
    except SyntaxError as error:
        return False, _syntax_message(error)
    except (ValueError, RecursionError, MemoryError) as error:
        return False, "the code cannot be parsed: %s" % (str(error) or type(error).__name__)
    try:
        findings = _Checker(forbid_imports, forbid_calls).run(tree)
    except (RecursionError, MemoryError):
        return False, "the code is too deeply nested to check"
    if not findings:
        return True, ""
    more = len(findings) - MAX_FINDINGS
    message = "\n".join(findings[:MAX_FINDINGS])
    if more > 0:
        message += "\n(and %d more)" % more
    return False, message


def _answer(request):
    if not isinstance(request, dict) or not isinstance(request.get("code"), str):
        return {"ok": False, "message": "bad request to the code checker"}
    ok, message = check(request["code"], request.get("forbid_imports") or [],
                        request.get("forbid_calls") or [])
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    return {"ok": ok, "message": message}


def serve(fd):
    from ward_guest.channel import Channel, ChannelClosed
    channel = Channel(fd)
    channel.send({"ready": True, "pid": os.getpid(), "python": sys.version.split()[0]})
    while True:
        try:
            request = channel.receive()
        except ChannelClosed:
            return 0
        except ValueError:
            request = None
        try:
            channel.send(_answer(request))
        except Exception as error:  # a checker bug must not look like a pass
            channel.send({"ok": False, "message": "the code checker failed: %s" % error})
