// CLI configuration: defaults, every option's validation message from each source, precedence
// (flag > env > config file > default), model tunables and overrides, encode/decode parsing,
// and --help generated from the same table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ConfigError, DECODE_OPTIONS, ENCODE_OPTIONS, type ResolveDeps, SERVE_OPTIONS, type ServeConfig, isHelpRequest,
  parseDecodeArgs, parseEncodeArgs, resolveServeConfig,
} from '../../src/cli/config.js';
import { decodeHelp, encodeHelp, mainHelp, serveHelp } from '../../src/cli/help.js';
import { OVERRIDABLE_KEYS, resolveModelConfig } from '../../src/repository/config.js';
import { SERVER_SETTINGS } from '../../src/core/settings/index.js';

const CWD = '/srv/app';
const REPO = ['--model-repository', 'models'];

/** resolveServeConfig with a fake config file system: {path: text}. */
function resolve(argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}, cpuCount = 2, cpuQuotaCores: number | null = null): ServeConfig {
  const deps: ResolveDeps = {
    cpuCount, cpuQuotaCores, cwd: CWD,
    readFile: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    },
  };
  return resolveServeConfig(argv, env, deps);
}

function fails(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

test('defaults', () => {
  const cfg = resolve(REPO);
  assert.deepEqual({ ...cfg, sources: undefined }, {
    modelRepository: join(CWD, 'models'), host: '127.0.0.1', port: 8000, healthPort: undefined, workers: 2,
    cpuProbe: { cpus: 2, quotaCores: undefined, cores: 2 }, spinUs: 0, spinInFlight: true, inlineMaxRows: 64, inlineMaxComputeUs: 200,
    quietSpinUs: 500, idleSpinThreads: 1, loneIntraOpThreads: 0, idleSpinWindowUs: 2000, maxBodyBytes: 64 * 1024 * 1024,
    json: { maxInputs: 256, maxElements: 16 * 1024 * 1024, maxStringBytes: 1024 * 1024, maxDepth: 32, scanAboveBytes: 64 * 1024 },
    modelControlMode: 'none', modelLoadThreads: undefined, exitOnError: true, exitTimeoutS: 30, adminToken: undefined, strictReadiness: false,
    defaultMaxBatchSize: SERVER_SETTINGS.defaultMaxBatchSize.default, disableAutoCompleteConfig: false, logLevel: 'info', logFormat: 'auto', configFile: undefined,
    // 2 cores, 2 workers: one ORT thread each.
    modelDefaults: { runtime: { intra_op_threads: 1 } }, modelOverrides: {},
    sources: undefined, warnings: [],
  });
  assert.equal(cfg.sources.modelRepository, 'flag');
  assert.equal(cfg.sources.port, 'default');
  assert.equal(Object.keys(cfg.sources).length, SERVE_OPTIONS.length);
  // One worker per core.
  assert.equal(resolve(REPO, {}, {}, 8).workers, 8);
  assert.equal(resolve(REPO, {}, {}, 1).workers, 1);
});

test('workers and ORT threads follow the CPU probe: the CPUs, capped by a CPU quota rounded down', () => {
  const threadsOf = (c: ServeConfig): unknown => c.modelDefaults.runtime?.intra_op_threads;
  // A Kubernetes limit of 2 on a 64-core node: 2 workers of one thread, not 64.
  const pod = resolve(REPO, {}, {}, 64, 2);
  assert.deepEqual([pod.workers, threadsOf(pod), pod.cpuProbe], [2, 1, { cpus: 64, quotaCores: 2, cores: 2 }]);
  // 1.5 cores: one worker; the half core is left to the HTTP thread.
  assert.deepEqual([resolve(REPO, {}, {}, 8, 1.5).workers, threadsOf(resolve(REPO, {}, {}, 8, 1.5))], [1, 1]);
  // Below one core still one worker; a quota above the CPUs changes nothing.
  assert.equal(resolve(REPO, {}, {}, 4, 0.25).workers, 1);
  assert.equal(resolve(REPO, {}, {}, 4, 16).workers, 4);
  // One worker asked on a 4-core quota: its ORT threads take the quota's cores.
  assert.equal(threadsOf(resolve([...REPO, '--workers', '1'], {}, {}, 64, 4)), 4);
  // The oversubscription warning counts the quota's cores.
  assert.deepEqual(resolve([...REPO, '--workers', '2', '--intra-op-threads', '2'], {}, {}, 64, 2).warnings,
    ['2 workers x 2 intra-op threads exceed the 2 CPU cores (CPU quota 2): expect contention']);
});

test('idle spinners: one by default; none on one core or under a CPU quota, where asking warns', () => {
  assert.equal(resolve(REPO, {}, {}, 8).idleSpinThreads, 1);
  assert.equal(resolve(REPO, {}, {}, 1).idleSpinThreads, 0);
  const limited = resolve(REPO, {}, {}, 4, 2);
  assert.equal(limited.idleSpinThreads, 0);
  assert.deepEqual(limited.warnings, []);
  const asked = resolve([...REPO, '--idle-spin-threads', '2'], {}, {}, 4, 1.5);
  assert.equal(asked.idleSpinThreads, 2);
  assert.deepEqual(asked.warnings, ['--idle-spin-threads 2 under a CPU quota of 1.5 cores: spinning counts against the quota and can get the process throttled']);
  const tuned = resolve([...REPO, '--idle-spin-threads', '0', '--idle-spin-window-us', '750', '--quiet-spin-us', '0']);
  assert.deepEqual([tuned.idleSpinThreads, tuned.idleSpinWindowUs, tuned.quietSpinUs], [0, 750, 0]);
  assert.equal(resolve(REPO, { INFERGATE_IDLE_SPIN_THREADS: '3' }).idleSpinThreads, 3);
});

test('lone-request sessions: off by default; 1 thread refused; asking on one core or under a quota warns', () => {
  assert.equal(resolve(REPO).loneIntraOpThreads, 0);
  assert.equal(resolve([...REPO, '--lone-intra-op-threads', '2']).loneIntraOpThreads, 2);
  assert.deepEqual(resolve([...REPO, '--lone-intra-op-threads', '2']).warnings, []);
  assert.equal(resolve(REPO, { INFERGATE_LONE_INTRA_OP_THREADS: '3' }).loneIntraOpThreads, 3);
  fails(() => resolve([...REPO, '--lone-intra-op-threads', '1']), '--lone-intra-op-threads must be 0 (off) or at least 2: one thread is what the shared session has');
  assert.deepEqual(resolve([...REPO, '--lone-intra-op-threads', '2'], {}, {}, 4, 1.5).warnings,
    ['--lone-intra-op-threads 2 on 4 CPU(s) under a CPU quota of 1.5 cores: its spinning thread takes a core the work needs (and counts against a quota)']);
  assert.deepEqual(resolve([...REPO, '--lone-intra-op-threads', '2'], {}, {}, 1).warnings,
    ['--lone-intra-op-threads 2 on 1 CPU(s): its spinning thread takes a core the work needs (and counts against a quota)']);
});

test('model control: explicit needs an admin token of at least 16 characters; the environment variable works', () => {
  fails(() => resolve([...REPO, '--model-control-mode', 'explicit']),
    '--model-control-mode explicit needs an admin token for the load and unload endpoints: set INFERGATE_ADMIN_TOKEN (or --admin-token)');
  fails(() => resolve([...REPO, '--admin-token', 'short']), 'the admin token must be at least 16 characters (e.g. openssl rand -hex 16)');
  const cfg = resolve([...REPO, '--model-control-mode', 'explicit'], { INFERGATE_ADMIN_TOKEN: '0123456789abcdef' });
  assert.equal(cfg.adminToken, '0123456789abcdef');
  assert.equal(cfg.sources.adminToken, 'env');
});

test('the model repository is required', () => {
  fails(() => resolve([]), '--model-repository is required (or INFERGATE_MODEL_REPOSITORY, or "modelRepository" in the config file)');
  assert.equal(resolve([], { INFERGATE_MODEL_REPOSITORY: '/m' }).modelRepository, '/m');
});

test('every option validates with one message shape', () => {
  const cases: [string[], string][] = [
    [['--port', 'abc'], '--port must be an integer in 0..65535 (got "abc")'],
    [['--port', '70000'], '--port must be an integer in 0..65535 (got "70000")'],
    [['--port', '80.5'], '--port must be an integer in 0..65535 (got "80.5")'],
    [['--host', ''], '--host must be a non-empty string (got "")'],
    [['--health-port', '65536'], '--health-port must be an integer in 0..65535 (got "65536")'],
    [['--model-repository', ' '], '--model-repository must be a non-empty string (got " ")'],
    [['--workers', '0'], '--workers must be an integer in 1..256 (got "0")'],
    [['--spin-us', '-1'], '--spin-us must be an integer in 0..1000000 (got "-1")'],
    [['--spin-in-flight=sometimes'], '--spin-in-flight must be true or false (got "sometimes")'],
    [['--inline-max-rows', '-1'], '--inline-max-rows must be an integer in 0..1000000 (got "-1")'],
    [['--inline-max-compute-us', 'x'], '--inline-max-compute-us must be an integer in 0..1000000 (got "x")'],
    [['--inline-max-compute-us', '1e9'], '--inline-max-compute-us must be an integer in 0..1000000 (got "1e9")'],
    [['--quiet-spin-us', '-5'], '--quiet-spin-us must be an integer in 0..1000000 (got "-5")'],
    [['--idle-spin-threads', '257'], '--idle-spin-threads must be an integer in 0..256 (got "257")'],
    [['--idle-spin-window-us', '0'], '--idle-spin-window-us must be an integer in 1..10000000 (got "0")'],
    [['--lone-intra-op-threads', '257'], '--lone-intra-op-threads must be an integer in 0..256 (got "257")'],
    [['--max-body-bytes', '1TiB'], '--max-body-bytes must be a byte count in 1..2147483648 (suffixes KiB, MiB, GiB) (got "1TiB")'],
    [['--max-body-bytes', '3GiB'], '--max-body-bytes must be a byte count in 1..2147483648 (suffixes KiB, MiB, GiB) (got "3GiB")'],
    [['--model-control-mode', 'poll'], '--model-control-mode must be one of none, explicit (got "poll")'],
    [['--model-load-threads', '0'], '--model-load-threads must be an integer in 1..256 (got "0")'],
    [['--exit-on-error=maybe'], '--exit-on-error must be true or false (got "maybe")'],
    [['--exit-timeout-s', '0'], '--exit-timeout-s must be an integer in 1..86400 (got "0")'],
    [['--admin-token', ''], '--admin-token must be a non-empty string (got "")'],
    [['--strict-readiness=1x'], '--strict-readiness must be true or false (got "1x")'],
    [['--default-max-batch-size', '-1'], '--default-max-batch-size must be an integer in 0..1000000 (got "-1")'],
    [['--disable-auto-complete-config=no'], '--disable-auto-complete-config must be true or false (got "no")'],
    [['--log-level', 'verbose'], '--log-level must be one of debug, info, warn, error, silent (got "verbose")'],
    [['--log-format', 'xml'], '--log-format must be one of auto, json, pretty (got "xml")'],
    [['--max-batch-size', '-1'], '--max-batch-size must be a non-negative integer (got "-1")'],
    [['--max-queue-delay-us', '-5'], '--max-queue-delay-us must be a non-negative integer (got "-5")'],
    [['--max-queue-size', '0'], '--max-queue-size must be a positive integer (got "0")'],
    [['--max-queue-rows', 'many'], '--max-queue-rows must be a positive integer (got "many")'],
    [['--default-timeout-us', '1e3'], '--default-timeout-us must be a non-negative integer (got "1e3")'],
    [['--shed-status', '500'], '--shed-status must be one of 503, 429 (got "500")'],
    [['--retry-after-s', '-1'], '--retry-after-s must be an integer in 0..86400 (got "-1")'],
    [['--concurrency-limit', 'auto'], '--concurrency-limit must be one of off, fixed, adaptive (got "auto")'],
    [['--concurrency-limit-initial', '0'], '--concurrency-limit-initial must be an integer in 1..1000000 (got "0")'],
    [['--concurrency-limit-min', 'x'], '--concurrency-limit-min must be an integer in 1..1000000 (got "x")'],
    [['--concurrency-limit-max', '-3'], '--concurrency-limit-max must be an integer in 1..1000000 (got "-3")'],
    [['--concurrency-limit-tolerance-percent', '1001'], '--concurrency-limit-tolerance-percent must be an integer in 0..1000 (got "1001")'],
    [['--oversize-policy', 'drop'], '--oversize-policy must be one of split, reject (got "drop")'],
    [['--intra-op-threads', '2000'], '--intra-op-threads must be an integer in 0..1024 (0 = ORT decides) (got "2000")'],
    [['--inter-op-threads', 'x'], '--inter-op-threads must be an integer in 0..1024 (0 = ORT decides) (got "x")'],
    [['--allow-spinning=maybe'], '--allow-spinning must be true or false (got "maybe")'],
    [['--model-override', 'ranker'], '--model-override must be MODEL.KEY=VALUE (e.g. ranker.max_queue_delay_microseconds=200) (got "ranker")'],
    [['--config', ''], '--config must be a non-empty string (got "")'],
    [['--max-inputs', '0'], '--max-inputs must be an integer in 1..65536 (got "0")'],
    [['--max-json-elements', '-1'], '--max-json-elements must be an integer in 1..1073741824 (got "-1")'],
    [['--max-json-string-bytes', '2GiB'], '--max-json-string-bytes must be a byte count in 1..1073741824 (suffixes KiB, MiB, GiB) (got "2GiB")'],
    [['--max-json-depth', '3'], '--max-json-depth must be an integer in 4..1024 (got "3")'],
    [['--json-offload-bytes', 'lots'], '--json-offload-bytes must be a byte count in 0..1073741824 (suffixes KiB, MiB, GiB) (got "lots")'],
  ];
  for (const [args, message] of cases) fails(() => resolve([...REPO, ...args]), message);
  // Every option of the table is exercised above (config needs a file, model-repository is in REPO).
  const flags = new Set(cases.map(([a]) => a[0]!.replace(/^--/, '').replace(/=.*$/, '')));
  for (const s of SERVE_OPTIONS) assert.ok(flags.has(s.flag), `no validation case for --${s.flag}`);
});

test('the same message names the environment variable or the config file key', () => {
  fails(() => resolve(REPO, { INFERGATE_PORT: 'abc' }), 'INFERGATE_PORT must be an integer in 0..65535 (got "abc")');
  fails(() => resolve(['--config', 'ig.json'], {}, { '/srv/app/ig.json': '{"modelRepository": "m", "port": "abc"}' }),
    '/srv/app/ig.json: port must be an integer in 0..65535 (got "abc")');
  fails(() => resolve(['--config', 'ig.json'], {}, { '/srv/app/ig.json': '{"modelRepository": "m", "max-body-bytes": 0}' }),
    '/srv/app/ig.json: max-body-bytes must be a byte count in 1..2147483648 (suffixes KiB, MiB, GiB) (got 0)');
});

test('values: forms accepted', () => {
  const cfg = resolve(['--model-repository=/abs/models', '--port=0', '--max-body-bytes', '512KiB', '--shed-status', '429',
    '--allow-spinning', '--model-control-mode', 'explicit', '--admin-token', 'a-token-of-16-chars', '--log-level', 'debug', '--host', '::']);
  assert.equal(cfg.modelRepository, '/abs/models');
  assert.equal(cfg.port, 0);
  assert.equal(cfg.maxBodyBytes, 512 * 1024);
  assert.equal(cfg.modelControlMode, 'explicit');
  assert.equal(cfg.logLevel, 'debug');
  assert.equal(cfg.host, '::');
  assert.deepEqual(cfg.modelDefaults, { dynamic_batching: { shed_status: 429 }, runtime: { allow_spinning: true, intra_op_threads: 1 } });
  assert.equal(resolve([...REPO, '--max-body-bytes', '2gib']).maxBodyBytes, 2 * 1024 ** 3);
  assert.deepEqual(resolve([...REPO, '--max-json-depth', '8', '--json-offload-bytes', '1MiB'], { INFERGATE_MAX_INPUTS: '4' }).json,
    { maxInputs: 4, maxElements: 16 * 1024 * 1024, maxStringBytes: 1024 * 1024, maxDepth: 8, scanAboveBytes: 1024 * 1024 });
  assert.equal(resolve([...REPO, '--no-allow-spinning']).modelDefaults.runtime?.allow_spinning, false);
  assert.equal(resolve([...REPO, '--allow-spinning=false']).modelDefaults.runtime?.allow_spinning, false);
  assert.equal(resolve([...REPO, '--port', '1', '--port', '2']).port, 2, 'a repeated flag: the last wins');
  assert.equal(resolve([...REPO, '--']).port, 8000);
});

test('unknown options, positional arguments and missing values', () => {
  fails(() => resolve([...REPO, '--prot', '1']), 'unknown option --prot (did you mean --port?)');
  fails(() => resolve([...REPO, '--max-queue-delay', '1']), 'unknown option --max-queue-delay (did you mean --max-queue-delay-us?)');
  fails(() => resolve([...REPO, '--zzz']), 'unknown option --zzz (see infergate serve --help)');
  fails(() => resolve([...REPO, '--no-port']), 'unknown option --no-port (did you mean --port?)');
  fails(() => resolve([...REPO, '-p', '1']), 'unknown option -p (options are long: see infergate serve --help)');
  fails(() => resolve([...REPO, 'extra']), 'unexpected argument "extra" (infergate serve takes options only)');
  fails(() => resolve([...REPO, '--', 'extra']), 'unexpected argument "extra" (infergate serve takes options only)');
  fails(() => resolve(['--model-repository']), '--model-repository needs a value (DIR)');
  fails(() => resolve(['--port', '--model-repository', 'm']), '--port needs a value (PORT)');
  fails(() => resolve([...REPO, '--allow-uws-fallback']), 'unknown option --allow-uws-fallback (see infergate serve --help)');
});

test('precedence: flag > env > config file > default', () => {
  const files = { '/etc/ig.json': JSON.stringify({ modelRepository: 'repo', port: 3000, workers: 3 }) };
  const env = { INFERGATE_CONFIG: '/etc/ig.json', INFERGATE_PORT: '4000' };
  const fromFile = resolve([], { INFERGATE_CONFIG: '/etc/ig.json' }, files);
  assert.equal(fromFile.port, 3000);
  assert.equal(fromFile.sources.port, 'file');
  assert.equal(fromFile.configFile, '/etc/ig.json');
  assert.equal(fromFile.modelRepository, '/etc/repo', 'relative paths in the file are relative to the file');
  const fromEnv = resolve([], env, files);
  assert.equal(fromEnv.port, 4000);
  assert.equal(fromEnv.sources.port, 'env');
  assert.equal(fromEnv.workers, 3, 'the file still fills what env does not set');
  const fromFlag = resolve(['--port', '5000'], env, files);
  assert.equal(fromFlag.port, 5000);
  assert.equal(fromFlag.sources.port, 'flag');
  assert.equal(resolve(REPO).sources.port, 'default');
  // --config as a flag beats INFERGATE_CONFIG; empty environment variables count as unset.
  const two = { ...files, '/srv/app/b.json': JSON.stringify({ modelRepository: 'b', port: 3001 }) };
  assert.equal(resolve(['--config', 'b.json'], { INFERGATE_CONFIG: '/etc/ig.json' }, two).port, 3001);
  assert.equal(resolve(REPO, { INFERGATE_PORT: '' }).port, 8000);
});

test('config file: both key spellings, and clear errors', () => {
  const file = (doc: unknown) => ({ '/c.json': typeof doc === 'string' ? doc : JSON.stringify(doc) });
  const run = (doc: unknown) => resolve(['--config', '/c.json'], {}, file(doc));
  const cfg = run({ 'model-repository': '/m', maxQueueDelayUs: 200, 'intra-op-threads': 1, allowSpinning: false, shedStatus: 429 });
  assert.deepEqual(cfg.modelDefaults, {
    dynamic_batching: { max_queue_delay_microseconds: 200, shed_status: 429 }, runtime: { intra_op_threads: 1, allow_spinning: false },
  });
  fails(() => run({ modelRepository: '/m', prot: 1 }), '/c.json: unknown option "prot" (did you mean "port"?)');
  fails(() => run({ modelRepository: '/m', config: 'x.json' }), '/c.json: unknown option "config" (config files do not nest)');
  fails(() => run({ modelRepository: '/m', port: 1, 'port ': 2 }), '/c.json: unknown option "port " (did you mean "port"?)');
  fails(() => run({ 'model-repository': '/m', modelRepository: '/n' }),
    '/c.json: option "modelRepository" is given twice ("modelRepository" and "model-repository")');
  fails(() => run('[1]'), '/c.json must be a JSON object of options (got [1])');
  assert.throws(() => run('{"port": }'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('/c.json: invalid JSON ('));
  fails(() => resolve(['--config', '/missing.json']), 'config file /missing.json cannot be read (ENOENT)');
});

test('model tunables become server-wide model defaults below config.json', () => {
  const cfg = resolve([...REPO, '--max-batch-size', '64', '--max-queue-delay-us', '200', '--max-queue-size', '10',
    '--max-queue-rows', '1024', '--default-timeout-us', '5000', '--retry-after-s', '2', '--oversize-policy', 'reject',
    '--intra-op-threads', '1', '--inter-op-threads', '1']);
  assert.deepEqual(cfg.modelDefaults, {
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: 200, max_queue_size: 10, max_queue_rows: 1024,
      default_timeout_microseconds: 5000, retry_after_seconds: 2, oversize_policy: 'reject' },
    runtime: { intra_op_threads: 1, inter_op_threads: 1 },
  });
  const model = resolveModelConfig({ modelName: 'm', serverDefaults: cfg.modelDefaults, config: { max_batch_size: 8 } });
  assert.equal(model.maxBatchSize, 8, 'config.json beats the server default');
  assert.equal(model.batching.maxQueueDelayUs, 200);
  assert.equal(model.batching.oversizePolicy, 'reject');
});

test('--model-override: key forms, values, merging across sources', () => {
  const cfg = resolve([...REPO,
    '--model-override', 'ranker.max_queue_delay_microseconds=200',
    '--model-override', 'ranker.dynamic_batching.preferred_batch_size=[64, 256]',
    '--model-override', 'ranker.oversize_policy=reject',
    '--model-override=my.model.v2.max_batch_size=32',
    '--model-override', 'ranker.runtime={"intra_op_threads": 2}',
    '--model-override', 'ranker.version_policy={"all":{}}',
    '--model-override', 'ranker.execution_providers=[{"name":"cuda","options":{"arena_extend_strategy":"a=b"}},{"name":"cpu"}]',
  ]);
  assert.deepEqual(cfg.modelOverrides, {
    ranker: {
      dynamic_batching: { max_queue_delay_microseconds: 200, preferred_batch_size: [64, 256], oversize_policy: 'reject' },
      runtime: { intra_op_threads: 2, execution_providers: [{ name: 'cuda', options: { arena_extend_strategy: 'a=b' } }, { name: 'cpu' }] },
      version_policy: { all: {} },
    },
    'my.model.v2': { max_batch_size: 32 },
  });
  assert.equal(cfg.sources.modelOverride, 'flag');
  // file < env < flag, key by key; env entries are separated by ";".
  const files = { '/c.json': JSON.stringify({ modelRepository: '/m',
    modelOverride: ['ranker.max_queue_size=1', 'ranker.max_queue_rows=5000', 'dlrm.max_batch_size=4'] }) };
  const merged = resolve(['--config', '/c.json', '--model-override', 'ranker.max_queue_size=3'],
    { INFERGATE_MODEL_OVERRIDE: 'ranker.max_queue_size=2; ranker.retry_after_seconds=9;' }, files);
  assert.deepEqual(merged.modelOverrides, {
    ranker: { dynamic_batching: { max_queue_size: 3, max_queue_rows: 5000, retry_after_seconds: 9 } },
    dlrm: { max_batch_size: 4 },
  });
  // The file's object form holds config.json layers by model.
  const objectForm = resolve(['--config', '/o.json'], {}, { '/o.json': JSON.stringify({ modelRepository: '/m',
    'model-override': { ranker: { dynamic_batching: { max_queue_size: 7 } } } }) });
  assert.deepEqual(objectForm.modelOverrides, { ranker: { dynamic_batching: { max_queue_size: 7 } } });
});

test('--model-override errors name the entry, the key and the value', () => {
  const bad = (entry: string) => () => resolve([...REPO, '--model-override', entry]);
  fails(bad('ranker.max_queue_delay_microseconds=-5'),
    '--model-override ranker: dynamic_batching.max_queue_delay_microseconds must be a non-negative integer (got -5)');
  fails(bad('ranker.max_queue_delay_us=5'),
    '--model-override: unknown config.json key "max_queue_delay_us" in "ranker.max_queue_delay_us=5"');
  fails(bad('ranker.max_queue_delay_microsecond=5'), '--model-override: unknown config.json key "max_queue_delay_microsecond" '
    + 'in "ranker.max_queue_delay_microsecond=5" (did you mean "max_queue_delay_microseconds"?)');
  fails(bad('ranker.name=x'), '--model-override: unknown config.json key "name" in "ranker.name=x"');
  fails(bad('max_batch_size=4'), '--model-override must be MODEL.KEY=VALUE (e.g. ranker.max_queue_delay_microseconds=200) (got "max_batch_size=4")');
  fails(bad('.max_batch_size=4'), '--model-override: model name "" is not allowed (letters, digits, "_", "-", "."; '
    + 'at most 128 characters; no leading "." and no "..")');
  fails(bad('ranker.max_batch_size=[1'), '--model-override ranker: max_batch_size must be a non-negative integer (got "[1")');
  fails(() => resolve(REPO, { INFERGATE_MODEL_OVERRIDE: 'ranker.shed_status=404' }),
    'INFERGATE_MODEL_OVERRIDE ranker: dynamic_batching.shed_status must be one of 503, 429 (got 404)');
  fails(() => resolve(['--config', '/o.json'], {}, { '/o.json': JSON.stringify({ modelRepository: '/m', modelOverride: { '../x': {} } }) }),
    '/o.json: modelOverride.../x: model name "../x" is not allowed (letters, digits, "_", "-", "."; at most 128 characters; no leading "." and no "..")');
  fails(() => resolve(['--config', '/o.json'], {}, { '/o.json': JSON.stringify({ modelRepository: '/m', modelOverride: { r: { max_batch: 1 } } }) }),
    '/o.json: modelOverride.r: unknown key "max_batch" (did you mean "max_batch_size"?)');
  fails(() => resolve(['--config', '/o.json'], {}, { '/o.json': JSON.stringify({ modelRepository: '/m', modelOverride: 'r.max_batch_size=1' }) }),
    '/o.json: modelOverride must be an array of "MODEL.KEY=VALUE" strings or an object of config.json layers by model (got "r.max_batch_size=1")');
});

test('warnings: likely typos in INFERGATE_* variables, oversubscribed cores', () => {
  assert.deepEqual(resolve(REPO, { INFERGATE_PROT: '1', INFERGATE_ORT_ROOT: '/opt/ort' }).warnings,
    ['environment variable INFERGATE_PROT is not an option (did you mean INFERGATE_PORT?)']);
  assert.deepEqual(resolve([...REPO, '--workers', '2', '--intra-op-threads', '2'], {}, {}, 2).warnings,
    ['2 workers x 2 intra-op threads exceed the 2 CPU cores: expect contention']);
  assert.deepEqual(resolve([...REPO, '--workers', '1', '--intra-op-threads', '2'], {}, {}, 2).warnings, []);
});

test('isHelpRequest', () => {
  assert.equal(isHelpRequest(['--port', 'abc', '--help']), true);
  assert.equal(isHelpRequest(['-h']), true);
  assert.equal(isHelpRequest(['--', '--help']), false);
  assert.equal(isHelpRequest(['--port', '1']), false);
});

test('encode and decode options', () => {
  assert.deepEqual(parseEncodeArgs([]), { model: undefined, in: '-', out: '-' });
  assert.deepEqual(parseEncodeArgs(['--model', 'ranker', '--in', 'req.json', '--out=req.fb']), { model: 'ranker', in: 'req.json', out: 'req.fb' });
  assert.deepEqual(parseDecodeArgs([]), { in: '-', out: '-' });
  assert.deepEqual(parseDecodeArgs(['--in', '-', '--out', 'resp.json']), { in: '-', out: 'resp.json' });
  fails(() => parseEncodeArgs(['--modle', 'x']), 'unknown option --modle (did you mean --model?)');
  fails(() => parseDecodeArgs(['--model', 'x']), 'unknown option --model (see infergate decode --help)');
  fails(() => parseDecodeArgs(['resp.fb']), 'unexpected argument "resp.fb" (infergate decode takes options only)');
  fails(() => parseEncodeArgs(['--in']), '--in needs a value (FILE)');
  fails(() => parseEncodeArgs(['--model', '']), '--model must be a non-empty string (got "")');
});

test('--help lists every option with its environment variable and default', () => {
  const text = serveHelp(4);
  for (const s of SERVE_OPTIONS) {
    assert.ok(text.includes(`--${s.flag}`), `--${s.flag} missing from help`);
    assert.ok(text.includes(`env ${s.env!}`), `${s.env!} missing from help`);
    assert.ok(text.includes(`default ${s.defaultText}`), `default of --${s.flag} missing from help`);
  }
  assert.match(text, /default CPU cores \(capped by the CPU quota\) = 4 here/);
  assert.match(text, /default 500 \(built-in model default\)/);
  assert.match(text, /command-line flag > environment variable > config file \(--config\) > built-in default/);
  for (const k of OVERRIDABLE_KEYS) assert.ok(text.includes(k), `override key ${k} missing from help`);
  for (const [help, table] of [[encodeHelp(), ENCODE_OPTIONS], [decodeHelp(), DECODE_OPTIONS]] as const) {
    for (const s of table) assert.ok(help.includes(`--${s.flag} ${s.arg}`) && help.includes(`default ${s.defaultText}`), s.flag);
  }
  for (const t of [text, encodeHelp(), decodeHelp(), mainHelp()]) {
    assert.ok(t.endsWith('\n'));
    assert.ok(t.split('\n').every((l) => l.length <= 100), 'lines fit 100 columns');
  }
});

test('intra-op threads default to the cores per worker unless given', () => {
  assert.deepEqual(resolve([...REPO, '--workers', '2'], {}, {}, 2).modelDefaults, { runtime: { intra_op_threads: 1 } });
  assert.deepEqual(resolve([...REPO, '--workers', '3'], {}, {}, 16).modelDefaults, { runtime: { intra_op_threads: 5 } });
  assert.deepEqual(resolve([...REPO, '--intra-op-threads', '3'], {}, {}, 2).modelDefaults, { runtime: { intra_op_threads: 3 } });
});

test('auto-complete flags reach the repository scan as its options', async () => {
  const { gatewayOptionsFrom } = await import('../../src/cli/serve.js');
  const { createLogger } = await import('../../src/observability/log.js');
  const log = createLogger('silent');
  assert.deepEqual(gatewayOptionsFrom(resolve(REPO), log).scan?.autoComplete, { enabled: true, defaultMaxBatchSize: SERVER_SETTINGS.defaultMaxBatchSize.default });
  const off = resolve([...REPO, '--disable-auto-complete-config', '--default-max-batch-size', '16']);
  assert.deepEqual(gatewayOptionsFrom(off, log).scan?.autoComplete, { enabled: false, defaultMaxBatchSize: 16 });
  assert.equal(resolve(REPO, { INFERGATE_DEFAULT_MAX_BATCH_SIZE: '8' }).defaultMaxBatchSize, 8);
});
