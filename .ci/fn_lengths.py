#!/usr/bin/env python3
"""Lists Rust functions longer than a limit, counted from the `fn` line to its closing brace.

Comments, strings (plain, byte, raw) and char literals are blanked first so that braces
inside them do not count; a `fn` that meets `;` before `{` (a trait declaration) has no
body and is skipped. Nested functions and closures count in their outer function too.

Usage: fn_lengths.py [--min N] PATH...   (directories are walked for *.rs; N defaults to 150)
"""
import os
import re
import sys


def _is_ident(ch):
    return ch.isalnum() or ch == "_"


def blank(src):
    """The source with comments and literals replaced by spaces, newlines kept."""
    out, i, n = [], 0, len(src)
    spaces = lambda text: re.sub(r"[^\n]", " ", text)
    while i < n:
        c = src[i]
        word_start = i == 0 or not _is_ident(src[i - 1])
        raw = re.match(r'b?r(#*)"', src[i : i + 300]) if c in "br" and word_start else None
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
        elif raw:
            end = '"' + raw.group(1)
            j = src.find(end, i + raw.end())
            j = n if j < 0 else j + len(end)
        elif c == '"' or (src.startswith('b"', i) and word_start):
            j = i + (2 if c == "b" else 1)
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
        elif c == "'":
            lit = re.match(r"'(\\(x..|u\{[0-9a-fA-F]*\}|.)|[^\\'])'", src[i : i + 12])
            j = i + (lit.end() if lit else 1)
            if not lit:  # a lifetime
                out.append(c)
                i = j
                continue
        else:
            out.append(c)
            i += 1
            continue
        out.append(spaces(src[i:j]))
        i = j
    return "".join(out)


def functions(path):
    """(name, first line, length in lines) of every function with a body."""
    with open(path, encoding="utf-8") as fh:
        src = blank(fh.read())
    line_of = lambda pos: src.count("\n", 0, pos) + 1
    for m in re.finditer(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", src):
        j, nesting = m.end(), 0
        while j < len(src):
            ch = src[j]
            if ch in "([":
                nesting += 1
            elif ch in ")]":
                nesting -= 1
            elif nesting == 0 and ch in ";{":
                break
            j += 1
        if j >= len(src) or src[j] == ";":
            continue
        depth, k = 0, j
        while k < len(src):
            depth += {"{": 1, "}": -1}.get(src[k], 0)
            if depth == 0:
                break
            k += 1
        start = line_of(m.start())
        yield m.group(1), start, line_of(k) - start + 1


def rust_files(path):
    if path.endswith(".rs"):
        return [path]
    return sorted(
        os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".rs")
    )


def main(argv):
    limit, paths = 150, []
    args = iter(argv)
    for a in args:
        if a == "--min":
            limit = int(next(args))
        else:
            paths.append(a)
    rows = [
        (length, f, start, name)
        for p in paths
        for f in rust_files(p)
        for name, start, length in functions(f)
        if length > limit
    ]
    for length, f, start, name in sorted(rows, key=lambda r: (-r[0], r[1], r[2])):
        print(f"{length:5d}  {f}:{start}  {name}")
    print(f"{len(rows)} function(s) over {limit} lines")


if __name__ == "__main__":
    main(sys.argv[1:])
