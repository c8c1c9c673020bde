// Reads src/ as a graph of modules for the architecture tests: every .ts file, its line count,
// and the specifiers it imports (static, dynamic and re-exports; type-only imports included:
// a type cycle is still a layering cycle).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  lines: number;
  /** Relative imports resolved to repository paths (.ts), and bare specifiers as written. */
  relativeImports: string[];
  bareImports: string[];
}

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

export function listFiles(root: string, dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  (function walk(d: string): void {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(relative(root, p).split('\\').join('/'));
    }
  })(join(root, dir));
  return out.sort();
}

export function readSourceGraph(root: string): SourceFile[] {
  return listFiles(root, 'src', ['.ts']).map((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    const relativeImports: string[] = [];
    const bareImports: string[] = [];
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('.')) {
        const abs = resolve(root, dirname(path), spec.replace(/\.js$/, '.ts'));
        relativeImports.push(relative(root, abs).split('\\').join('/'));
      } else {
        bareImports.push(spec);
      }
    }
    return { path, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), relativeImports, bareImports };
  });
}

/** The package a bare specifier names ('@scope/pkg/sub' -> '@scope/pkg'), or 'node:' builtins. */
export function packageOf(spec: string): string {
  if (spec.startsWith('node:')) return 'node:';
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function findCycles(files: readonly SourceFile[]): string[][] {
  const edges = new Map(files.map((f) => [f.path, f.relativeImports.filter((p) => p !== f.path || true)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f.path)) visit(f.path);
  return cycles;
}
