#!/usr/bin/env python3
"""Checks a dataset for `accord load` (default: data/sample.json) against core/schema.cc.

Standard library only. It reads the schema registry from core/schema.cc (the
t.push_back({...}) declarations and their Text/LongText/Integer/Date/Enum/Ref
field calls) and checks every record:

  * the file is {"records": [ {...}, ... ]}, each record a flat object;
  * "type" is a declared type, "id" matches [A-Za-z0-9][A-Za-z0-9._-]{0,63}, ids are unique;
  * every field is declared for the type, values are strings (integers may be JSON numbers);
  * required fields are present and non-empty;
  * text (one-line) fields hold no line break; integers parse; dates are real YYYY-MM-DD dates;
    enum values are in the declared list;
  * references name a record of the declared type that appears EARLIER in the file;
  * case records: initials look like initials, notes start with "FICTIONAL EXAMPLE —"
    (sample data must never look like a real victim's record).

With --no-schema (or if schema.cc cannot be parsed) only the structural rules are checked:
ids, uniqueness, value types, dates in fields whose names look like dates, and values that
look like ids of other records must point backwards.

Usage: scripts/check_sample.py [DATA.json] [--schema core/schema.cc] [--no-schema]
Exit status 0 when no errors were found, 1 otherwise.
"""
import argparse
import datetime
import json
import os
import re
import sys

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FIELD_FUNCS = ("Text", "LongText", "Integer", "Date", "Enum", "Ref")
# One-line fields, for --no-schema mode (the registry says so when it can be read).
ONE_LINE = {"code", "name", "node_id", "city", "title", "agreement", "parties", "number",
            "responsible_agency", "implementing_partners", "total_target", "timeframe", "venue",
            "country", "related_agreement", "position", "organisation", "start_time", "end_time",
            "facilitator", "speaker", "responsible_party", "due", "signatory", "reference",
            "direction", "initials", "vulnerability", "return_checkpoint", "case_manager",
            "shelter", "consent_recorded_by", "nationality_confirmed_by"}
KIND_OF = {"Text": "text", "LongText": "long-text", "Integer": "integer", "Date": "date",
           "Enum": "enum", "Ref": "ref"}


# ----------------------------------------------------------------------------- schema parsing
class ParseError(Exception):
    pass


def strip_comments(src):
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(src[i:j + 1])
            i = j + 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_string(src, i):
    """Reads one or more adjacent C++ string literals starting at src[i] == '"'."""
    parts = []
    while True:
        if src[i] != '"':
            raise ParseError("expected a string literal at offset %d" % i)
        j = i + 1
        buf = []
        while src[j] != '"':
            if src[j] == "\\":
                buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(src[j + 1], src[j + 1]))
                j += 2
            else:
                buf.append(src[j])
                j += 1
        parts.append("".join(buf))
        i = skip_ws(src, j + 1)
        if i >= len(src) or src[i] != '"':
            return "".join(parts), i


def skip_ws(src, i):
    while i < len(src) and src[i].isspace():
        i += 1
    return i


def read_value(src, i, consts):
    """Reads one argument: a string, a {list} of values, an identifier, or a call."""
    i = skip_ws(src, i)
    c = src[i]
    if c == '"':
        return read_string(src, i)
    if c == "{":
        return read_list(src, i, "}", consts)
    m = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*").match(src, i)
    if not m:
        raise ParseError("unexpected %r at offset %d" % (src[i:i + 20], i))
    word, i = m.group(0), skip_ws(src, m.end())
    if i < len(src) and src[i] == "(":
        args, i = read_args(src, i, consts)
        return ("call", word, args), i
    if word == "true":
        return True, i
    if word == "false":
        return False, i
    if word in consts:
        return consts[word], i
    return ("ident", word), i


def read_list(src, i, close, consts):
    """Reads comma-separated values from just after src[i] up to `close`."""
    items = []
    i = skip_ws(src, i + 1)
    while src[i] != close:
        v, i = read_value(src, i, consts)
        items.append(v)
        i = skip_ws(src, i)
        if src[i] == ",":
            i = skip_ws(src, i + 1)
    return items, i + 1


def read_args(src, i, consts):
    assert src[i] == "("
    return read_list(src, i, ")", consts)


def parse_schema(path):
    """Returns {type: {"fields": {name: spec}, "order": [names]}} from core/schema.cc."""
    src = strip_comments(open(path, encoding="utf-8").read())
    consts = {}
    for m in re.finditer(r"const\s+std::vector<std::string>\s+(\w+)\s*=\s*", src):
        value, _ = read_value(src, m.end(), consts)
        consts[m.group(1)] = value
    types = {}
    for m in re.finditer(r"\bt\.push_back\(", src):
        args, _ = read_args(src, m.end() - 1, consts)
        if len(args) != 1 or not isinstance(args[0], list) or len(args[0]) < 5:
            raise ParseError("unexpected t.push_back(...) at offset %d" % m.start())
        name, _view, _help, _labels, field_calls = args[0][:5]
        fields = {}
        for call in field_calls:
            if not (isinstance(call, tuple) and call[0] == "call" and call[1] in FIELD_FUNCS):
                raise ParseError("type %s: unexpected field declaration %r" % (name, call))
            func, a = call[1], call[2]
            spec = {"kind": KIND_OF[func], "required": False, "values": None, "ref": None}
            fname = a[0]
            if func == "Enum":
                spec["values"] = a[1]
                spec["required"] = len(a) > 3 and a[3] is True
            elif func == "Ref":
                spec["ref"] = a[1]
                spec["required"] = len(a) > 3 and a[3] is True
            else:
                spec["required"] = len(a) > 2 and a[2] is True
            if not isinstance(fname, str):
                raise ParseError("type %s: field name is not a string literal" % name)
            fields[fname] = spec
        types[name] = fields
    if not types:
        raise ParseError("no t.push_back({...}) type declarations found")
    return types


# ----------------------------------------------------------------------------- checks
def valid_date(s):
    if not isinstance(s, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        return False
    try:
        d = datetime.date.fromisoformat(s)
    except ValueError:
        return False
    return 1900 <= d.year <= 2200


def check(data, types):
    errors, warnings = [], []
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        return ['top level must be an object with a "records" array'], warnings
    extra = set(data) - {"records"}
    if extra:
        warnings.append("top level: ignored keys %s" % sorted(extra))
    seen = {}  # id -> type, in file order
    for idx, rec in enumerate(data["records"]):
        where = "record #%d" % (idx + 1)
        if not isinstance(rec, dict):
            errors.append("%s: not an object" % where)
            continue
        rid, rtype = rec.get("id"), rec.get("type")
        if isinstance(rid, str):
            where += " (%s)" % rid
        if not isinstance(rtype, str) or not rtype:
            errors.append("%s: missing \"type\"" % where)
            continue
        if not isinstance(rid, str) or not ID_RE.match(rid):
            errors.append("%s: id %r does not match [A-Za-z0-9][A-Za-z0-9._-]{0,63}" % (where, rid))
            continue
        if rid in seen:
            errors.append("%s: duplicate id" % where)
        spec = None
        if types is not None:
            spec = types.get(rtype)
            if spec is None:
                errors.append("%s: unknown type %r (known: %s)" % (where, rtype, ", ".join(types)))
        for key, value in rec.items():
            if key in ("type", "id"):
                continue
            f = spec.get(key) if spec is not None else None
            if spec is not None and f is None:
                errors.append("%s: %s has no field %r" % (where, rtype, key))
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                errors.append("%s: %s must be a string (or an integer), got %s"
                              % (where, key, type(value).__name__))
                continue
            if isinstance(value, int):
                if f is not None and f["kind"] != "integer":
                    errors.append("%s: %s is a %s field; give a string" % (where, key, f["kind"]))
                continue
            if f is None:  # structural mode
                if key in ONE_LINE and ("\n" in value or "\r" in value):
                    errors.append("%s: %s is a one-line field; the value has a line break"
                                  % (where, key))
                if re.search(r"(date|_on|next_review)$", key) and not valid_date(value):
                    errors.append("%s: %s=%r is not a YYYY-MM-DD date" % (where, key, value))
                if value not in seen and is_later(data, idx, value):
                    errors.append("%s: %s refers to %r, which appears later in the file"
                                  % (where, key, value))
                continue
            kind = f["kind"]
            if kind == "text" and ("\n" in value or "\r" in value):
                errors.append("%s: %s is a one-line text field; the value has a line break"
                              % (where, key))
            elif kind == "integer" and not re.fullmatch(r"[+-]?\d+", value):
                errors.append("%s: %s=%r is not an integer" % (where, key, value))
            elif kind == "date" and not valid_date(value):
                errors.append("%s: %s=%r is not a date (YYYY-MM-DD)" % (where, key, value))
            elif kind == "enum" and value not in f["values"]:
                errors.append("%s: %s=%r is not one of: %s"
                              % (where, key, value, ", ".join(f["values"])))
            elif kind == "ref":
                if value not in seen:
                    later = is_later(data, idx, value)
                    errors.append("%s: %s refers to %r, which %s" % (
                        where, key, value,
                        "appears later in the file" if later else "is not in the file"))
                elif seen[value] != f["ref"]:
                    errors.append("%s: %s refers to %r, a %s (expected a %s)"
                                  % (where, key, value, seen[value], f["ref"]))
            if value.strip() == "":
                warnings.append("%s: %s is empty (leave the field out instead)" % (where, key))
        if spec is not None:
            for fname, f in spec.items():
                if f["required"] and (fname not in rec or rec[fname] in ("", None)):
                    errors.append("%s: required field %s.%s is missing" % (where, rtype, fname))
        if rtype == "case":
            initials = rec.get("initials", "")
            if initials and not re.fullmatch(r"(?:[A-Z][a-z]?\.\s?){1,4}", initials):
                errors.append("%s: initials %r look like more than initials" % (where, initials))
            if not str(rec.get("notes", "")).startswith("FICTIONAL EXAMPLE —"):
                errors.append("%s: sample case notes must begin with \"FICTIONAL EXAMPLE —\""
                              % where)
        if rid not in seen:
            seen[rid] = rtype
    return errors, warnings


_positions = {}


def is_later(data, idx, value):
    """True if a record with id `value` appears after record number idx."""
    key = id(data)
    if key not in _positions:
        pos = {}
        for i, r in enumerate(data["records"]):
            if isinstance(r, dict) and isinstance(r.get("id"), str):
                pos.setdefault(r["id"], i)
        _positions[key] = pos
    return _positions[key].get(value, -1) > idx


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="?", default=os.path.join(root, "data", "sample.json"))
    ap.add_argument("--schema", default=os.path.join(root, "core", "schema.cc"))
    ap.add_argument("--no-schema", action="store_true", help="structural checks only")
    ap.add_argument("-q", "--quiet", action="store_true", help="no per-type counts")
    args = ap.parse_args()

    types = None
    if not args.no_schema:
        try:
            types = parse_schema(args.schema)
        except (OSError, ParseError, IndexError, AssertionError) as e:
            print("warning: cannot read the schema from %s (%s); structural checks only"
                  % (args.schema, e), file=sys.stderr)
    try:
        with open(args.data, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as e:
        print("error: %s: %s" % (args.data, e), file=sys.stderr)
        return 1

    errors, warnings = check(data, types)
    for w in warnings:
        print("warning: " + w, file=sys.stderr)
    for e in errors:
        print("error: " + e, file=sys.stderr)
    if not args.quiet and isinstance(data, dict) and isinstance(data.get("records"), list):
        counts = {}
        for r in data["records"]:
            if isinstance(r, dict):
                counts[r.get("type")] = counts.get(r.get("type"), 0) + 1
        order = list(types) if types else sorted(counts, key=str)
        for t in order + [t for t in counts if t not in order]:
            if counts.get(t):
                print("%-15s %4d" % (t, counts[t]))
        print("%-15s %4d" % ("total", sum(counts.values())))
    mode = "schema %s" % os.path.relpath(args.schema, root) if types else "structural only"
    print("%s: %d error(s), %d warning(s) [%s]"
          % (os.path.relpath(args.data), len(errors), len(warnings), mode))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
