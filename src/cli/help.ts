// --help text, generated from the option tables (options.ts, themselves derived from the settings
// tables in src/core/settings/) so that every setting, its environment variable and its default
// are listed exactly as they are parsed.
// Each text ends with a newline, ready for process.stdout.write.
import { availableParallelism } from 'node:os';
import { cpuQuotaCores, usableCores } from './cpu-quota.js';
import { ALL_SETTINGS } from '../core/settings/index.js';
import { OVERRIDABLE_KEYS } from '../repository/config.js';
import { DECODE_OPTIONS, ENCODE_OPTIONS, type OptionSpec, SERVE_OPTIONS } from './config.js';
import { helpOf } from './options.js';

const WIDTH = 100;

/** Greedy word wrap at WIDTH, every line indented. */
function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > WIDTH) { lines.push(line); line = word; }
    else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

function defaultOf(spec: OptionSpec, cpuCount: number | undefined): string {
  if (spec.key === 'workers' && cpuCount !== undefined) return `${spec.defaultText} = ${Math.max(1, cpuCount)} here`;
  return spec.defaultText;
}

/** One block per option: the flag and its value, the description, then env and default. */
export function formatOptions(table: readonly OptionSpec[], cpuCount?: number): string {
  return table.map((s) => {
    const head = `  --${s.flag}${s.kind.type === 'bool' ? `[=true|false], --no-${s.flag}` : ` ${s.arg}`}`;
    const where = [s.env === undefined ? undefined : `env ${s.env}`, `default ${defaultOf(s, cpuCount)}`]
      .filter((x) => x !== undefined).join('; ');
    return `${head}\n${wrap(s.help, '      ')}\n${wrap(`[${where}]`, '      ')}`;
  }).join('\n');
}

/** The per-model settings that have no flag: config.json (or --model-override) only. */
function formatFileOnly(): string {
  return ALL_SETTINGS.filter((s) => s.flag === undefined).map((s) =>
    `  ${s.configKey!}\n${wrap(helpOf(s), '      ')}\n${wrap(`[default ${s.defaultText}]`, '      ')}`).join('\n');
}

export function serveHelp(cpuCount: number = usableCores(availableParallelism(), cpuQuotaCores())): string {
  const general = SERVE_OPTIONS.filter((s) => s.modelKey === undefined);
  const tunables = SERVE_OPTIONS.filter((s) => s.modelKey !== undefined);
  return [
    'Usage: infergate serve --model-repository DIR [options]',
    '',
    wrap('Serves the ONNX models of a model repository over HTTP (KServe v2 / Open Inference Protocol: '
      + 'JSON, binary tensor extension, FlatBuffers) and WebSocket (/v2/stream).', ''),
    '',
    'Options:',
    formatOptions(general, cpuCount),
    '',
    'Model defaults (for every model; a model\'s config.json beats them, --model-override beats both):',
    formatOptions(tunables, cpuCount),
    '',
    'Per-model settings without a flag (config.json or --model-override):',
    formatFileOnly(),
    '',
    'Precedence:',
    wrap('command-line flag > environment variable > config file (--config) > built-in default. '
      + 'A repeated flag: the last one wins. Empty environment variables count as unset. '
      + '--model-override entries merge across sources; for the same model and key the higher source wins. '
      + 'Relative paths in the config file are relative to the config file\'s folder.', '  '),
    '',
    'Per-model settings:',
    wrap('Each model reads DIR/<model>/config.json (Triton-style, snake_case). Layers, lowest first: '
      + 'built-in defaults < the model defaults above < config.json < --model-override.', '  '),
    wrap('--model-override keys (a section may be left out: max_queue_size = dynamic_batching.max_queue_size; '
      + 'values are JSON, or a bare word):', '  '),
    wrap(OVERRIDABLE_KEYS.join(', '), '    '),
    '',
    'Examples:',
    '  infergate serve --model-repository models --port 8000 --workers 1',
    '  INFERGATE_MAX_QUEUE_DELAY_US=200 infergate serve --config infergate.json',
    '  infergate serve --model-repository models \\',
    '    --model-override ranker.max_queue_delay_microseconds=200 \\',
    '    --model-override \'ranker.preferred_batch_size=[64,256]\'',
  ].join('\n') + '\n';
}

export function encodeHelp(): string {
  return [
    'Usage: infergate encode [--model NAME] [--in FILE|-] [--out FILE|-]',
    '',
    wrap('Turns a KServe v2 JSON inference request into the FlatBuffers request that '
      + 'POST /v2/models/<model>/infer takes as application/x-flatbuffers. '
      + '--model is required unless the JSON names its model ("model_name"); when both are given, --model wins.', ''),
    '',
    'Options:',
    formatOptions(ENCODE_OPTIONS),
  ].join('\n') + '\n';
}

export function decodeHelp(): string {
  return [
    'Usage: infergate decode [--in FILE|-] [--out FILE|-]',
    '',
    wrap('Turns a FlatBuffers inference response into KServe v2 JSON.', ''),
    '',
    'Options:',
    formatOptions(DECODE_OPTIONS),
  ].join('\n') + '\n';
}

export function mainHelp(): string {
  return [
    'Usage: infergate <command> [options]',
    '',
    'Commands:',
    '  serve    Serve a model repository (infergate serve --help)',
    '  encode   KServe v2 JSON request -> FlatBuffers bytes (infergate encode --help)',
    '  decode   FlatBuffers response -> KServe v2 JSON (infergate decode --help)',
    '  bench    bench sweep (tuning sweep -> recommended config) | bench load (load generator)',
    '',
    'infergate --version prints the version.',
  ].join('\n') + '\n';
}
