#!/usr/bin/env python3
# Turn a file into a C translation unit: const char NAME[] (NUL-terminated) and NAME_size.
# Used to embed the default profile into kiln-imagegen (C17 has no #embed).
import sys

src, out, name = sys.argv[1:4]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* Generated from %s by tools/embed-file.py; do not edit. */\n' % src.split('/')[-1])
    f.write('#include <stddef.h>\n')
    f.write('const char %s[] = {\n' % name)
    for i in range(0, len(data), 16):
        f.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    f.write('\t0x00\n};\n')
    f.write('const size_t %s_size = %d;\n' % (name, len(data)))
