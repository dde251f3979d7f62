#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""No two files of src/ and ui/ use each other (TAP).

1. Includes: a .c and its own headers (x.c, x.h, x_impl.h, x_int.h) are one
   module; a module including another's header depends on it. A cycle fails.
2. Symbols: ui/state.h declares most of ui/, so includes alone miss a
   circle between two panels. nm on the built archives gives who calls
   whom; two objects that need each other fail. Files that share a private
   *_int.h are one mechanism split into files, counted as one.

usage: cycles.py SOURCE_ROOT ARCHIVE...
"""
import collections
import os
import re
import subprocess
import sys

# Circles known when this test was written, in files other work owns;
# listed so that a new one fails. Remove an entry when it is broken.
KNOWN = [
    {'ui/detail.c', 'ui/views.c'},
    {'ui/open_panel.c', 'ui/views.c'},
]

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# nm -A: 'lib.a:dir/x.c.o:0000000000000000 T sym' or '...x.c.o:                 U sym'
NM = re.compile(r'^(?:.*:)?([^:]+\.c\.o):\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$')


def sources(root):
    out = []
    for top in ('src', 'ui'):
        for d, _, names in os.walk(os.path.join(root, top)):
            out += [os.path.relpath(os.path.join(d, n), root)
                    for n in names if n.endswith(('.c', '.h'))]
    return sorted(out)


def resolve(root, frm, name):
    """The file an #include "name" in frm means (the build's -I ., src, bpf)."""
    for base in (os.path.dirname(frm), '', 'src', 'bpf'):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.exists(os.path.join(root, p)):
            return p
    return None


def module_of(path, files):
    stem = re.sub(r'(_impl|_int)?\.[ch]$', '', path)
    return stem if stem + '.c' in files else path


def sccs(graph):
    """Tarjan: the strongly connected components with more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def include_graph(root, files):
    g = collections.defaultdict(set)
    incs = {}
    for f in files:
        with open(os.path.join(root, f), encoding='utf-8') as fh:
            incs[f] = [p for p in (resolve(root, f, n) for n in INC.findall(fh.read())) if p]
        m = module_of(f, files)
        for p in incs[f]:
            if p in files and module_of(p, files) != m:
                g[m].add(module_of(p, files))
    return g, incs


def lib_dir(root, archive):
    """The source directory of a library: build/src/model/x.a is src/model."""
    parts = os.path.dirname(os.path.abspath(archive)).split(os.sep)
    for i in range(len(parts)):
        d = os.path.join(*parts[i:])
        if d.split(os.sep)[0] in ('src', 'ui') and os.path.isdir(os.path.join(root, d)):
            return d
    sys.exit('cycles.py: no source directory for ' + archive)


def symbol_graph(root, files, incs, archives):
    # one unit per .c, merged with the other .c files that include its *_int.h
    unit = {f: f for f in files if f.endswith('.c')}
    for f in unit:
        for p in incs[f]:
            if p.endswith('_int.h'):
                unit[f] = p
    # meson names an object by its source's path below the library's
    # directory, '/' made '_': recording_reader.c.o is src/recording/reader.c
    by_base = {f[:-2].replace('/', '_'): f for f in unit}
    defs, undef = {}, collections.defaultdict(set)
    for a in archives:
        prefix = lib_dir(root, a).replace('/', '_')
        res = subprocess.run(['nm', '-A', a], capture_output=True, text=True, check=True)
        for line in res.stdout.splitlines():
            m = NM.match(line)
            if not m:
                continue
            base = os.path.basename(m.group(1))[:-len('.c.o')]
            src = by_base.get(prefix + '_' + base)
            if not src:
                continue	# ../decimal.c in the model's library: core has it
            if m.group(2) == 'U':
                undef[src].add(m.group(3))
            elif m.group(2) in 'TDBR':
                defs[m.group(3)] = src
    g = collections.defaultdict(set)
    for f, syms in undef.items():
        for s in syms:
            d = defs.get(s)
            if d and unit[d] != unit[f]:
                g[f].add(d)
    return g, unit


def main():
    root, archives = sys.argv[1], sys.argv[2:]
    files = set(sources(root))
    print('TAP version 13')
    print('1..2')
    ig, incs = include_graph(root, files)
    bad = sccs(ig)
    for c in bad:
        print('# include circle: ' + ' <-> '.join(sorted(c)))
    print(('not ok' if bad else 'ok') + ' 1 - no include circle between src/ and ui/ modules')
    sg, _ = symbol_graph(root, files, incs, archives)
    pairs = sorted({tuple(sorted((a, b))) for a in sg for b in sg[a] if a in sg.get(b, ())})
    new = [p for p in pairs if set(p) not in KNOWN]
    for p in pairs:
        print('# %s: %s <-> %s' % ('circle' if p in new else 'known', *p))
    # longer rings through the known pairs: worth knowing, not failed
    for c in sccs(sg):
        if len(c) > 2:
            print('# ring: ' + ' '.join(sorted(c)))
    ok = bool(sg) and not new
    print(('ok' if ok else 'not ok') + ' 2 - no two objects of src/ and ui/ use each other'
          + ('' if sg else ' (no symbols read)'))
    return 0 if not bad and ok else 1


if __name__ == '__main__':
    sys.exit(main())
