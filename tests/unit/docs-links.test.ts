/**
 * The Markdown of the repository stays navigable: every relative link (and image) of every *.md file outside
 * node_modules resolves to a file or folder inside the repository, every #anchor into a Markdown file names one of its
 * headings (GitHub's heading ids), and nothing points outside the repository (no ../shared). Links in code blocks and
 * code spans are not links. Also: the README's first lines are the commands a new user (and a checking tool) runs.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dir, '..', '..');

/** Every *.md file of the repository: no node_modules, no dot folders (.git, .data …), no build output. */
export function markdownFiles(dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (relative(root, path) === join('web', 'dist') || entry.name === 'dist') continue;
      out.push(...markdownFiles(path));
    } else if (entry.name.endsWith('.md')) out.push(path);
  }
  return out;
}

/** The text with fenced code blocks blanked out (line numbers kept), and code spans removed. */
function prose(markdown: string): string {
  let fence: string | null = null;
  return markdown
    .split('\n')
    .map((line) => {
      const m = /^\s*(```+|~~~+)/.exec(line);
      if (m) {
        const mark = (m[1] as string).slice(0, 3);
        if (fence === null) fence = mark;
        else if (mark === fence) fence = null;
        return '';
      }
      return fence === null ? line.replace(/(`+)[\s\S]*?\1/g, '') : '';
    })
    .join('\n');
}

/** GitHub's id of a heading: lower case, punctuation dropped, spaces → hyphens (as github-slugger does). */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown file offers: its headings' ids (duplicates numbered) and explicit id/name attributes. */
export function anchors(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown).split('\n')) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1] as string);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      ids.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) ids.add(a[1] as string);
  }
  return ids;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

/** Inline links and images, reference definitions, and href/src attributes, outside code. */
export function links(file: string, markdown: string): Link[] {
  const out: Link[] = [];
  prose(markdown)
    .split('\n')
    .forEach((text, i) => {
      const add = (target: string) => out.push({ file, line: i + 1, target: target.replace(/^<|>$/g, '') });
      for (const m of text.matchAll(/!?\[(?:[^\]]|\][^(])*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+"[^"]*")?\s*\)/g))
        add(m[1] ?? '');
      const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
      if (def) add(def[1] as string);
      for (const m of text.matchAll(/\s(?:href|src)="([^"]*)"/g)) add(m[1] as string);
    });
  return out;
}

const files = markdownFiles();
const anchorCache = new Map<string, Set<string>>();
const anchorsOf = (path: string) => {
  let a = anchorCache.get(path);
  if (!a) {
    a = anchors(readFileSync(path, 'utf8'));
    anchorCache.set(path, a);
  }
  return a;
};

/** Why a link is broken, or null. */
function problem(link: Link): string | null {
  const { target } = link;
  if (target.includes('../shared')) return 'points at ../shared, outside the repository';
  if (target === '') return 'empty target';
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) return null; // https:, mailto: …
  const [rawPath = '', anchor] = target.split('#', 2);
  const path = decodeURIComponent(rawPath.split('?')[0] as string);
  const resolved =
    path === '' ? link.file : resolve(path.startsWith('/') ? root : dirname(link.file), `.${sep}${path}`);
  const inside = relative(root, resolved);
  if (inside.startsWith('..') || resolve(root, inside) !== resolved) return 'leaves the repository';
  if (!existsSync(resolved)) return `${inside} does not exist`;
  if (anchor !== undefined && resolved.endsWith('.md') && statSync(resolved).isFile()) {
    if (!anchorsOf(resolved).has(anchor)) return `${inside} has no heading #${anchor}`;
  }
  return null;
}

describe('links between the Markdown files', () => {
  test('the repository has its documentation pages', () => {
    const names = files.map((f) => relative(root, f));
    expect(names).toContain('README.md');
    expect(names).toContain(join('docs', 'README.md'));
    expect(names).toContain(join('docs', 'api.md'));
  });

  test('every relative link and image of every *.md resolves inside the repository, anchors included', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of files) {
      for (const link of links(file, readFileSync(file, 'utf8'))) {
        checked++;
        const why = problem(link);
        if (why) broken.push(`${relative(root, link.file)}:${link.line} (${link.target}): ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  test('no Markdown file mentions ../shared', () => {
    const offenders = files.filter((f) => readFileSync(f, 'utf8').includes('../shared')).map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });

  test('every page under docs/ is reachable from the docs index', () => {
    const index = readFileSync(join(root, 'docs', 'README.md'), 'utf8');
    const linked = new Set(links(join(root, 'docs', 'README.md'), index).map((l) => l.target.split('#')[0]));
    const pages = files
      .filter((f) => dirname(f) === join(root, 'docs') && !f.endsWith(`${sep}README.md`))
      .map((f) => relative(join(root, 'docs'), f));
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });
});

describe('the checker itself', () => {
  test('slugs are GitHub heading ids', () => {
    expect(slug('Chat rows from memory: linearizable without a round trip')).toBe(
      'chat-rows-from-memory-linearizable-without-a-round-trip',
    );
    expect(slug('Cache: exact, single-flight, fail-open')).toBe('cache-exact-single-flight-fail-open');
    expect(slug('Streaming answers (server-sent events)')).toBe('streaming-answers-server-sent-events');
    expect(slug('What runs on :3000')).toBe('what-runs-on-3000');
    expect(slug('`/docs` and [the app](x.md)')).toBe('docs-and-the-app');
  });

  test('links in code are not links; a broken one is reported', () => {
    const md = '[a](a.md) `[b](b.md)`\n```\n[c](c.md)\n```\n![d](img/d.png "t") [e](#x)\n[f]: f.md\n';
    expect(links('/r/x.md', md).map((l) => l.target)).toEqual(['a.md', 'img/d.png', '#x', 'f.md']);
    expect(problem({ file: join(root, 'README.md'), line: 1, target: 'docs/nowhere.md' })).toContain('does not exist');
    expect(problem({ file: join(root, 'README.md'), line: 1, target: '../outside.md' })).toBe('leaves the repository');
    expect(problem({ file: join(root, 'README.md'), line: 1, target: 'docs/api.md#no-such-heading' })).toContain(
      'no heading',
    );
    expect(problem({ file: join(root, 'README.md'), line: 1, target: 'docs/api.md#safe-retries' })).toBeNull();
  });
});

describe('the README is a front door', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  test('its first block is the commands a new user runs: npm ci, npm start, npm test', () => {
    const first = /^```bash\n([\s\S]*?)^```$/m.exec(readme)?.[1] ?? '';
    const commands = first
      .split('\n')
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands).toEqual(['npm ci', 'npm start', 'npm test']);
    expect(readme.indexOf(first)).toBeLessThan(200); // right under the title
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
    expect(scripts.start).toBeDefined();
    expect(scripts.test).toBeDefined();
  });

  test('it shows a screenshot that exists', () => {
    const images = links(join(root, 'README.md'), readme).filter((l) => /\.(png|jpe?g|gif|svg)$/.test(l.target));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(existsSync(join(root, image.target))).toBe(true);
  });
});
