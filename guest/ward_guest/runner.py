"""Executes one code action in the session's persistent namespace.

Like a REPL: if the last statement is an expression, its value is reported. stdout
and stderr are captured (bounded) for the observation; a syntax error or exception
is reported as a traceback of the action's own frames only.
"""
import ast
import linecache
import sys
import traceback

from ward_guest.bindings import Finished
from ward_guest.capture import CappedWriter

OUTPUT_LIMIT = 256 * 1024


def _format_exception(error, filename):
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if f.filename == filename or f.filename.startswith("<binding")]
    lines = ["Traceback (most recent call last):\n"] if own else []
    lines += traceback.format_list(own)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)


def _split_last_expression(tree):
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
        return ast.Expression(last.value)
    return None


def run(code, namespace, action_id):
    filename = "<action %d>" % action_id
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    out, err = CappedWriter(OUTPUT_LIMIT), CappedWriter(OUTPUT_LIMIT)
    result = {"value": None, "error": None, "finished": False}
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        tree = ast.parse(code, filename, "exec")
        last = _split_last_expression(tree)
        exec(compile(tree, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                result["value"] = repr(value)
    except Finished:
        result["finished"] = True
    except SyntaxError as error:
        result["error"] = "".join(traceback.format_exception_only(type(error), error))
    except BaseException as error:  # the action's own failure, reported to the model
        result["error"] = _format_exception(error, filename)
    finally:
        sys.stdout, sys.stderr = saved
    result["stdout"] = out.getvalue()
    result["stderr"] = err.getvalue()
    return result
