import fs from 'node:fs';
import path from 'node:path';

/**
 * Every relative link in the project's docs points at a file that exists, and every #anchor at a heading
 * of the target markdown file (GitHub's heading ids). External links (http:, mailto:) are not checked.
 */
const ROOT = path.resolve(__dirname, '../..');
const DOCS = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks and inline code spans, line by line (links in code are not links). */
function proseLines(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (!fence || marker.startsWith(fence))) {
      fence = fence ? undefined : marker;
      return '';
    }
    return fence ? '' : line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/** GitHub's heading id: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, ... */
function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (!fence || marker.startsWith(fence))) fence = fence ? undefined : marker;
    const heading = fence ? null : /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** Link targets: inline `[text](target "title")`, images included, and reference definitions `[x]: target`. */
function linkTargets(markdown: string): string[] {
  const out: string[] = [];
  for (const line of proseLines(markdown)) {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
    const ref = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
    if (ref) out.push(ref[1]);
  }
  return out;
}

/** What is wrong with the links of one markdown file at `file` (relative to `root`): one line per broken link. */
function brokenLinks(root: string, file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = rawPath === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), decodeURIComponent(rawPath));
    if (!fs.existsSync(resolved)) {
      problems.push(`${file}: ${target}: no such file`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith('.md')) continue;
    const text = rawPath === '' ? markdown : fs.readFileSync(resolved, 'utf8');
    if (!headingIds(text).has(decodeURIComponent(anchor))) problems.push(`${file}: ${target}: no heading #${anchor}`);
  }
  return problems;
}

describe('links in the docs', () => {
  it.each(DOCS)('%s links only to files and headings that exist', (file) => {
    expect(brokenLinks(ROOT, file, fs.readFileSync(path.join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it('covers the README, CONTRIBUTING.md and docs/architecture.md', () => {
    expect(DOCS).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/architecture.md']));
  });

  it('finds a missing file, a missing heading and a missing heading in another file, and ignores links in code', () => {
    const markdown = [
      '# Title',
      '## A heading, with `code` and punctuation!',
      'See [x](#a-heading-with-code-and-punctuation), [y](#nope), [z](docs/missing.md), [w](CONTRIBUTING.md#nothing-here),',
      '[ok](CONTRIBUTING.md#setup), [ext](https://example.com/#x) and `[code](missing.md)`.',
      '```',
      '[in a block](also-missing.md)',
      '```',
      '[ref]: ./nowhere.ts',
    ].join('\n');
    expect(brokenLinks(ROOT, 'README.md', markdown)).toEqual([
      'README.md: #nope: no heading #nope',
      'README.md: docs/missing.md: no such file',
      'README.md: CONTRIBUTING.md#nothing-here: no heading #nothing-here',
      'README.md: ./nowhere.ts: no such file',
    ]);
  });

  it('makes heading ids the way GitHub does, repeats numbered', () => {
    expect([...headingIds('# Warden\n## Try it with the demo users\n### Tickets (support: `TICKET_READ`)\n## Logs\n## Logs\n## 权限与审计')]).toEqual([
      'warden',
      'try-it-with-the-demo-users',
      'tickets-support-ticket_read',
      'logs',
      'logs-1',
      '权限与审计',
    ]);
  });
});
