import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';

// The documentation speaks of this repository alone and stays true to it: every relative link (and
// #anchor) resolves inside the repository, every `loopstation <command>` is one the command offers, the
// README stays short, and nothing points at files or discussions outside the repository.

const ROOT = path.join(__dirname, '..', '..', '..');
const README_MAX_LINES = 300;

function documents(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));
  return ['README.md', 'CONTRIBUTING.md', ...docs];
}
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Markdown without its fenced code blocks (links inside them are text, not links). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** [text](target) and ![alt](target) targets, relative ones only. */
export function relativeLinks(markdown: string): string[] {
  const out: string[] = [];
  for (const m of prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) out.push(m[1]);
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = anchorOf(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The `loopstation <word>` commands named in code (inline or fenced), where a command can be typed. */
export function namedCommands(markdown: string): string[] {
  const code = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm), ...prose(markdown).matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  const out = new Set<string>();
  for (const c of code) {
    for (const m of c.matchAll(/(?:^|[\s"'(])loopstation ([a-z][a-z0-9-]*)/gm)) out.add(m[1]);
  }
  return [...out];
}

/** The commands `loopstation --help` lists (its indented first words). */
function offeredCommands(): Set<string> {
  const help = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'loopstation.js'), '--help'], { encoding: 'utf8' });
  return new Set([...help.matchAll(/^ {2}([a-z][a-z0-9-]*)/gm)].map((m) => m[1]));
}

describe('documentation', () => {
  it('finds the documents: the README, CONTRIBUTING.md and docs/*.md', () => {
    const files = documents();
    for (const f of ['README.md', 'CONTRIBUTING.md', 'docs/audio.md', 'docs/cli.md', 'docs/sessions.md']) assert.ok(files.includes(f), f);
  });

  it('every relative link resolves to a file in the repository, and every #anchor to a heading', () => {
    const broken: string[] = [];
    for (const file of documents()) {
      for (const link of relativeLinks(read(file))) {
        const [target, anchor] = link.split('#', 2);
        const resolved = target === '' ? path.join(ROOT, file) : path.resolve(ROOT, path.dirname(file), decodeURIComponent(target));
        if (path.relative(ROOT, resolved).startsWith('..')) broken.push(`${file}: ${link} leaves the repository`);
        else if (!fs.existsSync(resolved)) broken.push(`${file}: ${link} (no such file)`);
        else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
          broken.push(`${file}: ${link} (no such heading)`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('every `loopstation <command>` named is one that `loopstation --help` lists', () => {
    const offered = offeredCommands();
    assert.ok(offered.has('render') && offered.has('live'), [...offered].join(', '));
    const unknown = documents().flatMap((file) => namedCommands(read(file)).filter((c) => !offered.has(c)).map((c) => `${file}: loopstation ${c}`));
    assert.deepEqual(unknown, []);
  });

  it(`the README stays within ${README_MAX_LINES} lines`, () => {
    const lines = read('README.md').split('\n').length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines`);
  });

  it('no document names a file, folder or discussion outside the repository', () => {
    const outside = /\.\.\/shared|\bDESIGN\.md\b|README-AUDIO-NOTES|\bthe issue\b|\bissue \d+\b|\bthe lead\b/i;
    const found = documents().flatMap((file) =>
      read(file)
        .split('\n')
        .map((line, i) => (outside.test(line) ? `${file}:${i + 1}: ${line.trim()}` : ''))
        .filter(Boolean),
    );
    assert.deepEqual(found, []);
  });

  it('the checks themselves: links, anchors and commands are found where they are written', () => {
    const md = 'See [a](docs/a.md#b-c), ![p](p.png) and [web](https://x.org/y).\n```sh\nnpx loopstation live --bpm 90\n```\nRun `loopstation devices`; the node-red-contrib-loopstation package; /loopstation/looper/.\n';
    assert.deepEqual(relativeLinks(md), ['docs/a.md#b-c', 'p.png']);
    assert.deepEqual(namedCommands(md).sort(), ['devices', 'live']);
    assert.equal(anchorOf('The first `loopstation devices` (VM-2026-11, 2026-12-07)'), 'the-first-loopstation-devices-vm-2026-11-2026-12-07');
    assert.equal(anchorOf('Raspberry Pi (arm64) and GCC 14'), 'raspberry-pi-arm64-and-gcc-14');
  });
});
