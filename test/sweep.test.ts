/**
 * `collapse sweep`, `table` and `theory` end to end, as a user runs them: the sweep's files and
 * order, a second run that does no work, resumption after kill -9 and Ctrl-C to the same bytes as
 * an uninterrupted sweep, refusals (another grid, bad syntax, unwritable --out), the three table
 * formats, and the theory command against the worked numbers of docs/theory.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFamilies } from '../src/families/index.js';
import { SCHEMA_VERSION } from '../src/summary.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'collapse-sweep-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function collapse(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: TMP, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const at = (...p: string[]) => path.join(TMP, ...p);
const read = (...p: string[]) => fs.readFileSync(at(...p), 'utf8');
const sweepJson = (dir: string) => JSON.parse(read(dir, 'sweep.json'));

/** Every file under `dir` (relative path → bytes), to compare two sweeps byte for byte. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** sweep.json less what differs between invocations by design (provenance, timing). */
function stableDoc(dir: string): unknown {
  const d = sweepJson(dir);
  delete d.provenance;
  delete d.timing;
  return d;
}

/** Point summaries differ only in timing and provenance; everything else must be byte-identical. */
function expectSameSweep(a: string, b: string): void {
  const ta = tree(at(a));
  const tb = tree(at(b));
  expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
  for (const [name, bytes] of ta) {
    if (name.endsWith('summary.json')) {
      const strip = (buf: Buffer) => {
        const d = JSON.parse(buf.toString('utf8'));
        delete d.timing;
        delete d.provenance;
        return d;
      };
      expect(strip(bytes), name).toEqual(strip(tb.get(name)!));
    } else if (name !== 'sweep.json') {
      expect(bytes.equals(tb.get(name)!), name).toBe(true);
    }
  }
  expect(stableDoc(a)).toEqual(stableDoc(b));
}

const SMALL = ['-n', '10,20', '-t', '10..30:10', '-e', '50', '--replicates', '2', '--no-plot'];

describe('a small sweep', () => {
  let first: ReturnType<typeof collapse>;
  beforeAll(() => {
    first = collapse(['sweep', ...SMALL, '-o', 'small']);
  });

  it('runs every point in grid order and writes sweep.json, sweep.csv and one directory per point', () => {
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('12 points: 2 samples × 3 generations × 2 replicates');
    expect(first.stdout).toContain('12 points run');
    expect(first.stdout).toContain(path.join('small'));
    const doc = sweepJson('small');
    expect(doc.schemaVersion).toBe(SCHEMA_VERSION);
    expect(doc.kind).toBe('collapse.sweep');
    expect(doc.complete).toBe(true);
    expect(doc.grid.given).toEqual({ samples: '10,20', generations: '10..30:10', experiments: '50', replicates: '2' });
    expect(doc.grid.axes.generations).toEqual([10, 20, 30]);
    expect(doc.points.map((p: { params: { samples: number; generations: number; seed: number } }) => [p.params.samples, p.params.generations, p.params.seed])).toEqual([
      [10, 10, 1], [10, 10, 2], [10, 20, 1], [10, 20, 2], [10, 30, 1], [10, 30, 2],
      [20, 10, 1], [20, 10, 2], [20, 20, 1], [20, 20, 2], [20, 30, 1], [20, 30, 2],
    ]);
    for (const k of ['version', 'gitCommit', 'node', 'startedAt']) expect(doc.provenance).toHaveProperty(k);

    const csv = read('small', 'sweep.csv').trimEnd().split('\n');
    const traj0 = read('small', doc.points[0].dir, 'trajectory.csv').trimEnd().split('\n');
    const trajCols = traj0[0]!.split(',');
    // the spec's columns (every family's parameters), then every family's trajectory columns
    const params = ['point', 'replicate', 'spec_hash', 'samples', 'generations', 'experiments', 'ddof', 'mean0', 'sd0', 'seed', 'every', 'rng', 'regime', 'fresh', 'synthetic', 'temperature', 'method', 'epsilon', 'model', ...new Set(allFamilies().flatMap((f) => f.flags.map((g) => g.name)))];
    const header = csv[0]!.split(',');
    expect(header.slice(0, params.length)).toEqual(params);
    expect(header.slice(params.length, params.length + trajCols.length - 1)).toEqual(trajCols.slice(1));
    expect(csv).toHaveLength(13);
    doc.points.forEach((p: { point: number; replicate: number; specHash: string; dir: string }, i: number) => {
      expect(p.dir).toBe(`points/${p.specHash}`);
      const last = read('small', p.dir, 'trajectory.csv').trimEnd().split('\n').pop()!;
      const row = csv[i + 1]!.split(',');
      expect(row.slice(0, 3)).toEqual([String(i), String(p.replicate), p.specHash]);
      const cells = last.split(',');
      trajCols.forEach((c, k) => {
        if (k > 0) expect(row[header.indexOf(c)], c).toBe(cells[k]);
      });
      // another family's columns are NA
      header.slice(params.length + trajCols.length - 1).forEach((c, k) => expect(row[params.length + trajCols.length - 1 + k], c).toBe('NA'));
      expect(JSON.parse(read('small', p.dir, 'summary.json')).specHash).toBe(p.specHash);
    });
    expect(fs.readdirSync(at('small')).sort()).toEqual(['points', 'sweep.csv', 'sweep.json']); // lock released
  });

  it('a second run does no work: point files untouched, the output says so', () => {
    const files = fs.readdirSync(at('small', 'points')).flatMap((h) => ['summary.json', 'trajectory.csv', 'finals.csv'].map((f) => at('small', 'points', h, f)));
    const mtimes = files.map((f) => fs.statSync(f).mtimeMs);
    const csv = read('small', 'sweep.csv');
    const r = collapse(['sweep', ...SMALL, '-o', 'small']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('all 12 points were already done; nothing ran');
    expect(files.map((f) => fs.statSync(f).mtimeMs)).toEqual(mtimes);
    expect(read('small', 'sweep.csv')).toBe(csv);
    expect(sweepJson('small').timing.pointsRun).toBe(0);
  });

  it('the same grid written differently resumes too; --json prints sweep.json', () => {
    const r = collapse(['sweep', '-n', '10..20:10', '-t', '10,20,30', '-e', '50', '--ddof', '0', '--replicates', '2', '--no-plot', '--json', '-o', 'small']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(read('small', 'sweep.json'));
    expect(JSON.parse(r.stdout).timing.pointsRun).toBe(0);
  });

  it('a point whose summary does not match its spec is run again, whatever its directory is called', () => {
    const doc = sweepJson('small');
    const victim = at('small', doc.points[3].dir, 'summary.json');
    const other = at('small', doc.points[4].dir, 'summary.json');
    const otherMtime = fs.statSync(other).mtimeMs;
    const s = JSON.parse(fs.readFileSync(victim, 'utf8'));
    s.params.seed = 99;
    fs.writeFileSync(victim, JSON.stringify(s));
    const r = collapse(['sweep', ...SMALL, '-o', 'small']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 point run, 11 already done');
    expect(JSON.parse(fs.readFileSync(victim, 'utf8')).params.seed).toBe(2);
    expect(fs.statSync(other).mtimeMs).toBe(otherMtime);
  });

  it('a different grid pointed at the same directory is refused, naming the first differing field and both values', () => {
    const before = read('small', 'sweep.csv');
    const cases: [string[], string][] = [
      [['-n', '10,20,30', '-t', '10..30:10', '-e', '50', '--replicates', '2'], '--samples is 10,20,30 here but 10,20'],
      [['-n', '10,20', '-t', '10..30:10', '-e', '50', '--replicates', '3'], '--replicates is 3 here but 2'],
      [['-n', '10,20', '-t', '10..30:10', '-e', '50', '--replicates', '2', '--epsilon', '0.2'], '--epsilon is 0.2 here but 0.1'],
    ];
    for (const [args, msg] of cases) {
      const r = collapse(['sweep', ...args, '--no-plot', '-o', 'small']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
      expect(r.stderr).toContain(path.join('small', 'sweep.json'));
    }
    expect(read('small', 'sweep.csv')).toBe(before);
  });

  it('collapse table: LaTeX with booktabs and balanced environments, Markdown, tidy CSV', () => {
    const latex = collapse(['table', 'small', '--format', 'latex']);
    expect(latex.code).toBe(0);
    const tex = latex.stdout;
    expect((tex.match(/\\begin\{/g) ?? []).length).toBe((tex.match(/\\end\{/g) ?? []).length);
    expect(tex).toMatch(/\\begin\{tabular\}\{r{11}\}/);
    for (const rule of ['\\toprule', '\\midrule', '\\bottomrule']) expect(tex).toContain(rule);
    const rows = tex.split('\n').filter((l) => l.endsWith('\\\\'));
    expect(rows).toHaveLength(13);
    const amps = rows.map((l) => (l.match(/(?<!\\)&/g) ?? []).length);
    expect(new Set(amps)).toEqual(new Set([10]));
    expect(rows[0]).toContain('$n$ & $T$ & replicate');

    const md = collapse(['table', 'small', '--format', 'markdown']).stdout.trimEnd().split('\n').filter((l) => l.startsWith('|'));
    expect(md).toHaveLength(14);
    expect(md[1]).toMatch(/^\|( -+: \|)+$/);
    expect(new Set(md.map((l) => l.split('|').length))).toEqual(new Set([13]));

    const csv = collapse(['table', 'small', '--format', 'csv', '--digits', '3']).stdout.trimEnd().split('\n');
    expect(csv[0]).toBe('samples,generations,replicate,sd_mean,sd_mean_se,theory_sd_mean,z_sd_mean,log10_sd_mean,log10_sd_mean_se,theory_log10_sd_mean,z_log10_sd_mean');
    expect(csv).toHaveLength(13);
    expect(csv[1]).toMatch(/^10,10,0,0\.\d{3},/);
  });

  it('collapse table on a run directory gives one row; n/a where a regime has no theory; bad input exits 2', () => {
    expect(collapse(['run', '-n', '10', '-t', '20', '-e', '50', '--regime', 'accumulate', '-o', 'acc']).code).toBe(0);
    const r = collapse(['table', 'acc', '--format', 'markdown']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').filter((l) => l.startsWith('|'));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^\| 10 \| 20 \| .* \| n\/a \| n\/a \|/);
    expect(collapse(['table', 'acc', '--format', 'html']).stderr).toContain('--format must be one of latex, markdown, csv, got "html"');
    const none = collapse(['table', 'nowhere']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('"nowhere"');
  });
});

describe('interrupted sweeps resume to the same bytes', () => {
  // 5e7–8e7 draws a point: on the pool, and points finish a visible fraction of a second apart even
  // though they share it (several points' chunks in flight), so a signal lands between two of them.
  const GRID = ['-n', '1000', '-t', '100', '-e', '500..800:100', '--every', '10', '-w', '2', '--no-plot'];
  beforeAll(() => {
    expect(collapse(['sweep', ...GRID, '-o', 'reference']).code).toBe(0);
  });

  async function interrupt(dir: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawn(process.execPath, [CLI, 'sweep', ...GRID, '-o', dir], { cwd: TMP, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
    const points = at(dir, 'points');
    for (;;) {
      // a finished point's directory, not the hidden temporary one it is written in before its rename
      const done = fs.existsSync(points) && fs.readdirSync(points).some((h) => !h.startsWith('.') && fs.existsSync(path.join(points, h, 'summary.json')));
      if (done) break;
      if (child.exitCode !== null) throw new Error('the sweep ended before its first point was seen');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill(signal);
    const end = await exited;
    await new Promise((r) => setTimeout(r, 50)); // let stderr drain
    return { ...end, stderr };
  }

  it('kill -9 after the first point: the re-run finishes the rest, byte-identical to an uninterrupted sweep', async () => {
    const end = await interrupt('killed', 'SIGKILL');
    expect(end.signal).toBe('SIGKILL');
    // sweep.json may lag the point directories by one point: the directories are what count.
    const finished = fs.readdirSync(at('killed', 'points')).filter((h) => !h.startsWith('.') && fs.existsSync(at('killed', 'points', h, 'summary.json')));
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.length).toBeLessThan(4);
    const r = collapse(['sweep', ...GRID, '-o', 'killed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[1-3] points? run, [1-3] already done/);
    expectSameSweep('reference', 'killed');
  });

  it('Ctrl-C: exits 130 saying how many points are kept; the re-run gives the same bytes', async () => {
    const end = await interrupt('interrupted', 'SIGINT');
    expect(end.code).toBe(130);
    expect(end.stderr).toMatch(/interrupted; [1-3] of 4 points are finished in interrupted; run the same command again to resume/);
    expect(fs.existsSync(at('interrupted', '.lock'))).toBe(false);
    const r = collapse(['sweep', ...GRID, '-o', 'interrupted']);
    expect(r.code).toBe(0);
    expectSameSweep('reference', 'interrupted');
  });
});

describe('sweep refusals, before any work', () => {
  const cases: [string, string[], RegExp][] = [
    ['bad range syntax', ['-n', '10..5'], /--samples has a bad range "10\.\.5"/],
    ['--fresh without --regime fresh', ['--regime', 'replace,accumulate', '--fresh', '0.5'], /--fresh needs --regime fresh/],
    ['overlapping replicate seeds', ['--seed', '1,2', '--replicates', '2'], /same run twice/],
  ];
  for (const [what, args, re] of cases) {
    it(what, () => {
      const out = at(`bad-${what.replace(/\W+/g, '-')}`);
      const r = collapse(['sweep', ...args, '-e', '10', '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
      expect(fs.existsSync(out)).toBe(false);
    });
  }

  it('an --out that cannot be written, or a foreign directory, is refused with a clear message', () => {
    fs.writeFileSync(at('plain-file'), 'x');
    const r = collapse(['sweep', '-n', '10', '-e', '10', '-o', at('plain-file', 'sub')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out must be a path under a directory, got .*plain-file.*is not a directory/);
    fs.mkdirSync(at('foreign'));
    fs.writeFileSync(at('foreign', 'notes.txt'), 'mine');
    const f = collapse(['sweep', '-n', '10', '-e', '10', '-o', at('foreign')]);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('no sweep.json');
    expect(fs.readdirSync(at('foreign'))).toEqual(['notes.txt']);
  });

  it('--help documents the range syntax, the order and the replicate seeds', () => {
    const r = collapse(['sweep', '--help']);
    expect(r.code).toBe(0);
    // help wraps to the terminal (or $COLUMNS), so a phrase may break across lines
    const flat = r.stdout.replace(/\s+/g, ' ');
    for (const s of ['a..b:step', 'a..b:log:k', 'a..b:lin:k', 'last varying fastest', 'seed + r', '--replicates', '--no-plot', '--workers', '--samples']) {
      expect(flat).toContain(s);
    }
  });
});

describe('collapse theory', () => {
  it("matches docs/theory.md: E[s_T] = 0.47213 at n = T = 1000, 5.503e-4 at T = 10000, E[W2²] = 1.0557", () => {
    const r = collapse(['theory', '-n', '1000', '-t', '1000,10000', '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    const [g1, g2] = d.generations;
    expect(g1.generation).toBe(1000);
    expect(g1.sd.mean).toBeCloseTo(0.47213, 5);
    expect(g1.sd.sd).toBeCloseTo(0.38051, 5);
    expect(g1.w2sq.mean).toBeCloseTo(1.0557, 4);
    expect(g2.sd.mean / 5.503e-4).toBeCloseTo(1, 3);
    expect(d.perGeneration.r).toBeCloseTo(0.999, 12);
    const text = collapse(['theory', '-n', '1000', '-t', '1000']).stdout;
    expect(text).toContain('0.47213');
    expect(text).toContain('1.0557');
  });

  it('prints through log10 what underflows a double, n/a with reasons for other regimes, and refuses bad flags', () => {
    const deep = JSON.parse(collapse(['theory', '-n', '10', '-t', '1000000', '--json']).stdout).generations[0];
    expect(deep.sd.mean).toBe(0);
    expect(deep.sd.log10Mean).toBeLessThan(-10000);
    expect(collapse(['theory', '-n', '10', '-t', '1000000']).stdout).toMatch(/E\[s_T\]\s+\d\.\d{4}e-\d{5}/);
    const acc = collapse(['theory', '--regime', 'accumulate', '-n', '100', '-t', '10']);
    expect(acc.stdout).toMatch(/E\[s_T\]\s+n\/a/);
    expect(acc.stdout).toContain('no closed form');
    const bad = collapse(['theory', '-n', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--samples');
  });
});
