#!/usr/bin/env python3
# Count TAP results across meson test logs and print one closing line:
#   "N passed, N failed, N skipped"
# A TAP point counts once; a test program that failed without printing "not ok"
# (crash, sanitizer abort, timeout, bad plan) counts as one failure, and a program that
# skipped as a whole ("1..0 # SKIP reason") counts as one skip. Exit status 1 on failure.
# The diagnostics ("# ...") right before and right after a failed point are printed
# under it, so that a CI log that keeps only the end of the output still says why.
import json
import re
import sys

DIAG = re.compile(r'^#')
MAX_DIAG_LINES = 16
OK = re.compile(r'^ok\b(?:\s+\d+)?(.*)$')
NOT_OK = re.compile(r'^not ok\b(?:\s+\d+)?(.*)$')
SKIP_ALL = re.compile(r'^1\.\.0\s*#\s*skip\b\s*(.*)$', re.I)
DIRECTIVE_SKIP = re.compile(r'#\s*skip\b', re.I)
DIRECTIVE_TODO = re.compile(r'#\s*todo\b', re.I)

passed = failed = skipped = 0
failures, skips = [], []

for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            name = t['name']
            out = t.get('stdout') or ''
            p = fl = s = 0
            diag_for = None     # the failure the diagnostics that follow belong to
            pending = []        # the diagnostics since the last test point
            for l in out.splitlines():
                if DIAG.match(l):
                    if diag_for is not None:
                        if len(diag_for) < MAX_DIAG_LINES:
                            diag_for.append(l)
                    else:
                        pending.append(l)
                    continue
                diag_for, before, pending = None, pending, []
                m = SKIP_ALL.match(l)
                if m:
                    s += 1
                    skips.append('%s: %s' % (name, m.group(1).strip()))
                    continue
                m = NOT_OK.match(l)
                if m:
                    if DIRECTIVE_TODO.search(m.group(1)):
                        continue
                    fl += 1
                    diag_for = before[-MAX_DIAG_LINES // 2:]
                    failures.append(('%s: not ok%s' % (name, m.group(1)), diag_for))
                    continue
                m = OK.match(l)
                if m:
                    if DIRECTIVE_SKIP.search(m.group(1)):
                        s += 1
                    else:
                        p += 1
            if t['result'] not in ('OK', 'SKIP', 'EXPECTEDFAIL') and fl == 0:
                fl = 1
                failures.append(('%s: %s (exit %s)' % (name, t['result'], t.get('returncode')), []))
            passed, failed, skipped = passed + p, failed + fl, skipped + s

if skips:
    print('Skipped as a whole:')
    for s in skips:
        print('  ' + s)
if failures:
    print('Failures:')
    for x, diag in failures:
        print('  ' + x)
        for d in diag:
            print('      ' + d)
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
sys.exit(1 if failed else 0)
