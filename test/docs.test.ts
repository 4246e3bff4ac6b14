/**
 * The documentation holds together: every relative link and anchor in README.md and docs/
 * resolves, every flag that --help lists is in docs/cli.md, nothing points outside the
 * repository, and CITATION.cff and LICENSE agree with package.json.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const DOCS = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchors(md: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

describe('documentation', () => {
  it.each(DOCS)('%s: every relative link and anchor resolves', (file) => {
    const md = read(file).replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of md.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [p, hash] = target!.split('#');
      const dest = p === '' ? file : path.join(path.dirname(file), p!);
      if (!fs.existsSync(path.join(ROOT, dest))) {
        broken.push(`${target} (no ${dest})`);
        continue;
      }
      if (hash !== undefined && dest.endsWith('.md') && !anchors(read(dest)).has(hash)) broken.push(`${target} (no heading #${hash})`);
    }
    expect(broken).toEqual([]);
  });

  it('nothing in the repository points to ../shared or THEORY.md, which a clone does not have', () => {
    const files = [...DOCS, 'package.json', 'CITATION.cff'];
    for (const dir of ['src', 'workers', 'bench', 'test']) {
      for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
        if (/\.(ts|py|sh|md)$/.test(f) && !/^(help|docs)\.test\.ts$/.test(path.basename(f))) files.push(path.join(dir, f));
      }
    }
    const offenders = files.filter((f) => /\.\.\/shared|THEORY\.md/.test(read(f)));
    expect(offenders).toEqual([]);
  });

  it('README keeps the two commands of a fresh clone', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm ci && npx collapse run');
    expect(readme).toContain('npm ci && npm test');
  });

  it('docs/cli.md documents every flag that some --help lists', async () => {
    const cli = read('docs/cli.md');
    const missing: string[] = [];
    const commands = ['run', 'sweep', 'table', 'theory', 'plot', 'merge', 'slurm'];
    const helps = await Promise.all(
      commands.map((c) => promisify(execFile)(process.execPath, [CLI, c, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } })),
    );
    for (const [i, c] of commands.entries()) {
      const help = helps[i]!.stdout;
      for (const [, flag] of help.matchAll(/^ +(?:-\w, )?--([\w-]+)/gm)) {
        if (['help', 'version', 'plot'].includes(flag!)) continue; // --plot is documented as --no-plot
        if (!cli.includes(`\`--${flag}\``)) missing.push(`${c} --${flag}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('CITATION.cff and LICENSE agree with package.json', () => {
    const pkg = JSON.parse(read('package.json')) as { version: string; license: string };
    const cff = read('CITATION.cff');
    expect(cff).toMatch(/^cff-version: 1\.2\.0$/m);
    expect(cff).toMatch(new RegExp(`^version: ${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
    expect(cff).toMatch(new RegExp(`^license: ${pkg.license}$`, 'm'));
    expect(cff).toMatch(/^date-released: "\d{4}-\d{2}-\d{2}"$/m);
    expect(read('LICENSE')).toMatch(new RegExp(`^${pkg.license} License`));
  });
});
