#!/usr/bin/env python3
"""Regenerates docs/CONFIGURATION.md from the JSDoc of src/config.ts (`/** VAR: meaning. @default x */`)."""
import re
from pathlib import Path

root = Path(__file__).resolve().parent.parent
source = (root / 'src' / 'config.ts').read_text()
esc = lambda text: text.replace('|', '\\|')
lines = [
    '# Configuration', '',
    'Every setting is an environment variable, read and validated once in [src/config.ts](../src/config.ts).',
    'A malformed value stops the process at start-up with an error naming the variable and the value',
    '(`TEMPORAL_UI_PORT="70000" is invalid: expected an integer from 1 to 65535`). Relative paths are',
    'relative to the project root. Regenerate with `python3 scripts/config-docs.py`;',
    'test/unit/config.docs.test.ts checks that every variable src/config.ts reads is listed here.', '',
]
for group in re.finditer(r'export interface (\w+)Config \{(.*?)\n\}', source, re.S):
    rows = []
    for doc in re.finditer(r'/\*\*\s*([A-Z][A-Z0-9_]+):\s*(.*?)\*/', group.group(2), re.S):
        text = ' '.join(doc.group(2).split())
        default = re.search(r'@default\s+(.*)$', text)
        meaning = text[: default.start()].strip() if default else text
        rows.append(f'| `{doc.group(1)}` | {esc(meaning)} | {esc(default.group(1).strip()) if default else ""} |')
    if rows:
        lines += [f'## {group.group(1)}', '', '| variable | meaning | default |', '|---|---|---|', *rows, '']
(root / 'docs' / 'CONFIGURATION.md').write_text('\n'.join(lines))
