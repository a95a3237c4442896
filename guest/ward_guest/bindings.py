"""Turns the host's binding list into Python callables.

Each binding is declared by the host with a Python signature, e.g. "finish(answer)"
or "fhir.search(resource_type, **params)". A callable with exactly that signature is
generated; calling it sends the bound arguments to the host and returns the host's
result, or raises the error the host reports (PermissionDenied when the gate says no).
The error types a connector raises (e.g. FhirError) are declared by the host too,
each with its base; none is named here.
"""
import json
import sys
import types


class PermissionDenied(Exception):
    """The gate refused this call (policy, approval denied or expired)."""


class BindingError(Exception):
    """A binding call failed on the host side; the message says why."""


class Finished(BaseException):
    """Raised by finish() to end the current action; not catchable by `except Exception`."""


BUILTIN_ERROR_TYPES = {
    "PermissionDenied": PermissionDenied,
    "BindingError": BindingError,
    "ValueError": ValueError,
    "TypeError": TypeError,
    "KeyError": KeyError,
    "LookupError": LookupError,
    "TimeoutError": TimeoutError,
}


def _to_json_text(name, arguments):
    try:
        return json.dumps(arguments, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError("%s(): arguments must be JSON values (str, int, float, bool, None, "
                        "list, dict): %s" % (name, error)) from None


def declare_errors(declared):
    """The error types by name: ward's own and Python's, then each declared one
    ({"name", "base", "doc"}), derived from its base (BindingError or one declared
    before it). A declaration that would shadow a known name or has an unknown base
    is refused."""
    types_by_name = dict(BUILTIN_ERROR_TYPES)
    for error in declared:
        name, base = error.get("name", ""), error.get("base", "")
        if not (name.isidentifier() and name.endswith("Error")) or name in types_by_name:
            raise ValueError("the host declared an unusable error type %r" % name)
        if base != "BindingError" and base not in types_by_name:
            raise ValueError("error type %r has an unknown base %r" % (name, base))
        types_by_name[name] = type(name, (types_by_name[base],), {"__doc__": error.get("doc", "")})
    return types_by_name


def make_caller(channel, error_types=None):
    counter = [0]
    error_types = error_types or BUILTIN_ERROR_TYPES

    def call(name, arguments):
        counter[0] += 1
        call_id = counter[0]
        channel.send({"t": "call", "id": call_id, "name": name,
                      "args": json.loads(_to_json_text(name, arguments))})
        reply = channel.receive()
        if reply.get("t") != "reply" or reply.get("id") != call_id:
            raise BindingError("unexpected message from host while waiting for %s()" % name)
        for warning in reply.get("warnings") or ():
            sys.stderr.write("%s(): %s\n" % (name, warning))
        if reply.get("ok"):
            return reply.get("value")
        error = reply.get("error") or {}
        kind = error_types.get(error.get("type"), BindingError)
        raise kind(error.get("message", "%s() failed" % name))

    return call


def _generate(name, signature, doc, call):
    short = name.rsplit(".", 1)[-1]
    params = signature[signature.index("("):]
    source = "def %s%s:\n    return __ward_call(%r, dict(locals()))\n" % (short, params, name)
    scope = {"__ward_call": call}
    exec(compile(source, "<binding %s>" % name, "exec"), scope)
    function = scope[short]
    function.__doc__ = doc
    function.__qualname__ = name
    return function


def install(namespace, bindings, call, error_types=None):
    """Adds each binding to `namespace`; dotted names become attributes of a namespace
    object. Adds ward's error types and the declared ones (declare_errors) too."""
    for binding in bindings:
        name = binding["name"]
        function = _generate(name, binding["signature"], binding.get("doc", ""), call)
        if name == "finish":
            function = _finishing(function)
        parts = name.split(".")
        target = namespace
        for part in parts[:-1]:
            holder = target.get(part) if isinstance(target, dict) else getattr(target, part, None)
            if holder is None:
                holder = types.SimpleNamespace()
                if isinstance(target, dict):
                    target[part] = holder
                else:
                    setattr(target, part, holder)
            target = holder
        if isinstance(target, dict):
            target[parts[-1]] = function
        else:
            setattr(target, parts[-1], function)
    namespace["PermissionDenied"] = PermissionDenied
    namespace["BindingError"] = BindingError
    for name, kind in (error_types or {}).items():
        if name not in BUILTIN_ERROR_TYPES:
            namespace[name] = kind


def _finishing(function):
    def finish(*args, **kwargs):
        function(*args, **kwargs)
        raise Finished()

    finish.__doc__ = function.__doc__
    return finish
