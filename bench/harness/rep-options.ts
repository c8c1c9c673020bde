// The options every bench of interleaved repetitions shares (efficiency-ab.ts,
// peers/max-throughput.ts); each adds its own through `extra`.
export interface RepOptions { reps: number; durationS: number; warmupS: number; systems: string[]; out: string }

/** Fills `o` from argv. `extra` handles a bench's own flag (reading its value with `value()`)
 *  and returns false for a flag it does not know. */
export function parseRepOptions<T extends RepOptions>(argv: readonly string[], o: T, extra: (flag: string, value: () => string) => boolean = () => false): T {
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => argv[++i] ?? '';
    const flag = argv[i]!;
    switch (flag) {
      case '--reps': o.reps = Number(value()); break;
      case '--duration-s': o.durationS = Number(value()); break;
      case '--warmup-s': o.warmupS = Number(value()); break;
      case '--systems': o.systems = value().split(','); break;
      case '--out': o.out = value(); break;
      default: if (!extra(flag, value)) throw new Error(`unknown option "${flag}"`);
    }
  }
  if (!(Number.isInteger(o.reps) && o.reps > 0 && o.durationS > 0 && o.warmupS >= 0)) throw new Error('--reps, --duration-s and --warmup-s must be positive');
  return o;
}
