// The command-line option tables of `infergate serve`, `encode` and `decode`. serve's options are
// derived from the settings tables (src/core/settings/): every row with a flag is an option, with
// the row's kind and range, default and help. config.ts checks values against these tables and
// help.ts prints them, so the parser, --help and the README cannot drift from the settings.
import {
  ALL_SETTINGS, formatDefault, type Setting, type SettingKind,
} from '../core/settings/index.js';

export type OptionKind = SettingKind;

export interface OptionSpec {
  /** Kebab-case flag name without the dashes. */
  flag: string;
  /** camelCase name: the config file key (kebab-case is accepted too) and the sources key. */
  key: string;
  /** Environment variable, or undefined when the option is a flag only. */
  env: string | undefined;
  /** Placeholder for the value in --help ('' for booleans). */
  arg: string;
  kind: OptionKind;
  /** Text for --help. */
  defaultText: string;
  help: string;
  /** config.json key path this option sets in ServeConfig.modelDefaults. */
  modelKey?: string;
  /** Allowed in the config file (not --config itself). */
  inFile: boolean;
}

/** --help's text of a row: its one line, and the decision record behind its default. */
export function helpOf(s: Setting): string {
  return s.decision === undefined ? s.help : `${s.help} See docs/decisions/${s.decision}.`;
}

/** A settings row as a serve option. A per-model setting's flag sets the server-wide default of
 *  every model; its own default is the built-in one (unless serve computes it: intra-op threads). */
function optionOf(s: Setting): OptionSpec {
  const builtIn = s.configKey !== undefined && s.defaultText === formatDefault(s.kind, s.default);
  const spec: OptionSpec = {
    flag: s.flag!, key: s.key, env: s.env, arg: s.arg, kind: s.kind,
    defaultText: builtIn ? `${s.defaultText} (built-in model default)` : s.defaultText, help: helpOf(s), inFile: s.inFile,
  };
  if (s.configKey !== undefined) spec.modelKey = s.configKey;
  return spec;
}

/** Every `infergate serve` option, in --help order (the settings tables' order). */
export const SERVE_OPTIONS: readonly OptionSpec[] = Object.freeze(ALL_SETTINGS.filter((s) => s.flag !== undefined).map(optionOf));

function flagOnly(flag: string, arg: string, defaultText: string, help: string): OptionSpec {
  return { flag, key: flag, env: undefined, arg, kind: { type: 'string' }, defaultText, help, inFile: false };
}

export const ENCODE_OPTIONS: readonly OptionSpec[] = Object.freeze([
  flagOnly('model', 'NAME', '(required unless the JSON has model_name)', 'Model name to put in the FlatBuffers request.'),
  flagOnly('in', 'FILE', '- (stdin)', 'KServe v2 JSON request to read.'),
  flagOnly('out', 'FILE', '- (stdout)', 'Where to write the FlatBuffers bytes.'),
]);

export const DECODE_OPTIONS: readonly OptionSpec[] = Object.freeze([
  flagOnly('in', 'FILE', '- (stdin)', 'FlatBuffers response to read.'),
  flagOnly('out', 'FILE', '- (stdout)', 'Where to write the KServe v2 JSON.'),
]);
