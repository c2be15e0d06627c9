// Running the real coding-agent CLIs (OpenAI Codex, opencode, Claude Code) against a
// gateway, offline and non-interactively. Each run gets its own throwaway
// home/config directory, a minimal environment (nothing inherited that could
// point the client at another endpoint or key), and a hard timeout that kills
// the whole process group. See CLIENTS-FINDINGS.md for why each flag, variable
// and config entry is there and what the clients send.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'node_modules', '.bin');

/** The environment variable the clients read the virtual key from. */
export const KEY_ENV = 'ALEPHANT_API_KEY';
/** Provider id used in both clients' configuration. */
export const PROVIDER_ID = 'alephant';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * `http://127.0.0.1:8787`, `http://127.0.0.1:8787/` or `.../v1` → `.../v1`.
 * Refuses anything that is not loopback: these runs must never leave the machine.
 */
export function v1Url(baseUrl) {
  const u = loopbackUrl(baseUrl);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith('/v1') ? path : `${path}/v1`;
  return u.toString().replace(/\/+$/, '');
}

/**
 * `.../v1` or `...` → the URL without `/v1`: Anthropic-style clients append
 * `/v1/messages` themselves. Loopback only, like v1Url.
 */
export function originUrl(baseUrl) {
  const u = loopbackUrl(baseUrl);
  u.pathname = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return u.toString().replace(/\/+$/, '');
}

function loopbackUrl(baseUrl) {
  const u = new URL(baseUrl);
  if (!LOOPBACK.has(u.hostname) && !/^127\.\d+\.\d+\.\d+$/.test(u.hostname)) {
    throw new Error(`refusing to point a coding-agent CLI at non-loopback ${baseUrl}`);
  }
  return u;
}

function missing(name, path) {
  return new Error(
    `${name} is not installed (${path} not found). It is a pinned devDependency: run \`npm ci\` ` +
    '(without --ignore-scripts) in the repository root.',
  );
}

/** Path of the Codex launcher (node_modules/.bin/codex → @openai/codex/bin/codex.js). */
export function codexBinary() {
  const launcher = join(BIN, 'codex');
  if (!existsSync(launcher)) throw missing('@openai/codex', launcher);
  // The launcher execs the native binary from the platform package
  // (@openai/codex-linux-x64 → vendor/x86_64-unknown-linux-musl/bin/codex).
  const platformPkg = join(ROOT, 'node_modules', '@openai', `codex-${process.platform}-${process.arch}`);
  if (process.platform === 'linux' && !existsSync(platformPkg)) throw missing(`@openai/codex-${process.platform}-${process.arch}`, platformPkg);
  return launcher;
}

/**
 * Path of a runnable opencode binary. node_modules/.bin/opencode points at
 * opencode-ai/bin/opencode.exe, which the package's postinstall replaces with
 * (a hard link to) the platform binary; installed with --ignore-scripts it is
 * still a 500-byte shell stub that only prints an error. Then fall back to the
 * platform package's binary directly.
 */
export function opencodeBinary() {
  const launcher = join(BIN, 'opencode');
  if (existsSync(launcher) && statSync(launcher).size > 1_000_000) return launcher;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch;
  for (const suffix of ['', '-baseline', '-musl', '-baseline-musl']) {
    const candidate = join(ROOT, 'node_modules', `opencode-${os}-${arch}${suffix}`, 'bin', 'opencode');
    if (existsSync(candidate) && statSync(candidate).size > 1_000_000) return candidate;
  }
  throw missing('opencode-ai', launcher);
}

/**
 * Path of a runnable Claude Code binary. Like opencode, the package's
 * postinstall copies the platform binary over a small placeholder
 * (bin/claude.exe); without it, use the platform package's binary.
 */
export function claudeBinary() {
  const launcher = join(BIN, 'claude');
  if (existsSync(launcher) && statSync(launcher).size > 1_000_000) return launcher;
  for (const suffix of ['', '-musl']) {
    const candidate = join(ROOT, 'node_modules', '@anthropic-ai', `claude-code-${process.platform}-${process.arch}${suffix}`, 'claude');
    if (existsSync(candidate) && statSync(candidate).size > 1_000_000) return candidate;
  }
  throw missing('@anthropic-ai/claude-code', launcher);
}

/** A minimal environment: nothing from the caller's shell leaks in (keys, proxies, client config). */
function baseEnv(home, apiKey) {
  return {
    PATH: [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
    HOME: home,
    USER: process.env.USER || 'root',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    TMPDIR: tmpdir(),
    NO_PROXY: '127.0.0.1,localhost,::1',
    no_proxy: '127.0.0.1,localhost,::1',
    [KEY_ENV]: apiKey,
  };
}

/**
 * Spawns `command args` in its own process group; resolves when it exits or,
 * after `timeoutMs`, when the group has been killed (SIGTERM, then SIGKILL).
 */
export function runBounded(command, args, { cwd, env, timeoutMs = 60_000, input } = {}) {
  return new Promise((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(command, args, { cwd, env, detached: true, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    const out = [];
    const err = [];
    let timedOut = false;
    let settled = false;
    let hardStop;
    const killGroup = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const finish = (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(hardStop);
      killGroup('SIGKILL'); // leftovers (shells, helpers) of a finished run
      resolvePromise({
        code,
        signal,
        timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      hardStop = setTimeout(() => {
        killGroup('SIGKILL');
        // Stdio held open by an unkillable descendant must not hang the test.
        setTimeout(() => finish(null, 'SIGKILL'), 2_000);
      }, 2_000);
    }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.once('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(hardStop);
      reject(e);
    });
    // A descendant left running (a backgrounded shell command) would hold the
    // pipes open and delay 'close' until the timeout: end the group as soon as
    // the CLI itself exits. Output already written stays readable.
    child.once('exit', () => killGroup('SIGKILL'));
    child.once('close', (code, signal) => finish(code, signal));
    if (input !== undefined) child.stdin.end(input);
  });
}

function tomlString(s) {
  return JSON.stringify(String(s)); // a JSON string is a valid TOML basic string for these values
}

/**
 * The Codex config.toml for a gateway: one custom provider on the Responses
 * wire API, the key read from `${KEY_ENV}`, and everything that would reach
 * the internet (analytics, plugin marketplace sync, remote plugins, update
 * check) switched off.
 */
export function codexConfig({ baseUrl, model, retries = 0, streamIdleTimeoutMs = 60_000 }) {
  return `# Written by tests/integration/lib/clients.mjs
model = ${tomlString(model)}
model_provider = ${tomlString(PROVIDER_ID)}
check_for_update_on_startup = false

[model_providers.${PROVIDER_ID}]
name = "Alephant Gateway"
base_url = ${tomlString(v1Url(baseUrl))}
env_key = ${tomlString(KEY_ENV)}
wire_api = "responses"
request_max_retries = ${retries}
stream_max_retries = ${retries}
stream_idle_timeout_ms = ${streamIdleTimeoutMs}

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
`;
}

function tempRoot(prefix) {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/**
 * Runs `bin` once in a throwaway root holding `home/` (and `work/`, the
 * working directory, unless `cwd` is given). `setUp({ root, home, workdir })`
 * writes the client's configuration and returns { args, env, read }, where
 * `read(result)` adds what must be read before the root is removed. The root
 * is removed afterwards unless `keepHome` is set (then `result.home` is it).
 */
async function runInScratch(prefix, bin, { cwd, keepHome, timeoutMs }, setUp) {
  const root = tempRoot(prefix);
  try {
    const home = join(root, 'home');
    mkdirSync(home);
    const workdir = cwd ?? join(root, 'work');
    mkdirSync(workdir, { recursive: true });
    const { args, env, read } = setUp({ root, home, workdir });
    const result = await runBounded(bin, args, { cwd: workdir, env, timeoutMs });
    read?.(result);
    result.home = keepHome ? root : null;
    return result;
  } finally {
    if (!keepHome) rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Runs `codex exec` once. Resolves to { code, signal, stdout, stderr, timedOut,
 * lastMessage, events, home }: stdout is the final agent message (or JSONL
 * events with `json: true`, parsed into `events`), stderr the transcript.
 *
 * extraConfig: TOML appended to config.toml; extraArgs: more `codex exec` flags.
 * keepHome: leave the temporary CODEX_HOME for inspection (its path is returned).
 */
export async function runCodex({
  baseUrl, apiKey, model, task, cwd, timeoutMs = 60_000,
  json = false, extraConfig = '', extraArgs = [], keepHome = false, retries = 0,
}) {
  return runInScratch('alephant-codex-', codexBinary(), { cwd, keepHome, timeoutMs }, ({ root, home, workdir }) => {
    const codexHome = join(root, 'codex-home');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'config.toml'), codexConfig({ baseUrl, model, retries }) + (extraConfig ? `\n${extraConfig}\n` : ''));
    const lastMessageFile = join(root, 'last-message.txt');
    const args = [
      'exec',
      '--skip-git-repo-check',
      '--dangerously-bypass-approvals-and-sandbox',
      '--ephemeral',
      '--color', 'never',
      '--cd', workdir,
      '--output-last-message', lastMessageFile,
      ...(json ? ['--json'] : []),
      ...extraArgs,
      '--',
      task,
    ];
    const env = { ...baseEnv(home, apiKey), CODEX_HOME: codexHome };
    const read = (result) => {
      result.lastMessage = existsSync(lastMessageFile) ? readFileSync(lastMessageFile, 'utf8') : null;
      result.events = json ? parseJsonLines(result.stdout) : null;
    };
    return { args, env, read };
  });
}

/**
 * The opencode.json for a gateway: one provider through the bundled
 * @ai-sdk/openai-compatible (chat completions), the key taken from
 * `${KEY_ENV}`, tools allowed without asking, no sharing or auto-update.
 * `maxOutputTokens` becomes the request's max_tokens (opencode's default is 32000).
 */
export function opencodeConfig({ baseUrl, model, maxOutputTokens = 4096, contextWindow = 128_000 }) {
  return {
    provider: {
      [PROVIDER_ID]: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Alephant Gateway',
        options: { baseURL: v1Url(baseUrl), apiKey: `{env:${KEY_ENV}}` },
        models: {
          [model]: { name: model, tool_call: true, limit: { context: contextWindow, output: maxOutputTokens } },
        },
      },
    },
    model: `${PROVIDER_ID}/${model}`,
    small_model: `${PROVIDER_ID}/${model}`,
    permission: { bash: 'allow', edit: 'allow', webfetch: 'deny', external_directory: 'allow' },
    autoupdate: false,
    share: 'disabled',
  };
}

/** Environment switches that keep opencode off the network (besides the provider). */
export const OPENCODE_OFFLINE_ENV = {
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  OPENCODE_DISABLE_CLAUDE_CODE: '1',
  OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
  OPENCODE_DISABLE_PROJECT_CONFIG: '1',
  OPENCODE_DISABLE_SHARE: '1',
};

/**
 * Runs `opencode run` once. Resolves to { code, signal, stdout, stderr,
 * timedOut, events, home }: stdout is the final assistant text (or JSON
 * events with `json: true`, parsed into `events`), stderr the transcript
 * (`> build · <model>`, `$ <command>` and the command's output).
 *
 * title: a fixed session title skips opencode's extra title-generation
 * request; pass null to let it make that request too.
 */
export async function runOpencode({
  baseUrl, apiKey, model, task, cwd, timeoutMs = 60_000,
  json = false, title = 'alephant integration', extraArgs = [], config = {}, keepHome = false,
  maxOutputTokens = 4096, printLogs = false,
}) {
  return runInScratch('alephant-opencode-', opencodeBinary(), { cwd, keepHome, timeoutMs }, ({ home }) => {
    const configDir = join(home, '.config', 'opencode');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'opencode.json'), JSON.stringify({ ...opencodeConfig({ baseUrl, model, maxOutputTokens }), ...config }, null, 2));
    // opencode installs @opencode-ai/plugin into every config directory in the
    // background (from the npm registry) unless node_modules exists and the
    // lockfile already lists it. Pretend it does: no plugins are used here.
    mkdirSync(join(configDir, 'node_modules'));
    writeFileSync(join(configDir, 'package-lock.json'), JSON.stringify({
      lockfileVersion: 3,
      packages: { '': { dependencies: { '@opencode-ai/plugin': 'offline' } } },
    }));
    const args = [
      'run',
      '--model', `${PROVIDER_ID}/${model}`,
      '--auto',
      ...(title != null ? ['--title', title] : []),
      ...(json ? ['--format', 'json'] : []),
      ...(printLogs ? ['--print-logs'] : []),
      ...extraArgs,
      '--',
      // `opencode run` joins its positional words with spaces and wraps any word
      // that contains a space in double quotes; single-space-free words keep the
      // task text exactly as given.
      ...task.split(' '),
    ];
    const env = {
      ...baseEnv(home, apiKey),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_DATA_HOME: join(home, '.local', 'share'),
      XDG_CACHE_HOME: join(home, '.cache'),
      XDG_STATE_HOME: join(home, '.local', 'state'),
      ...OPENCODE_OFFLINE_ENV,
    };
    const read = (result) => {
      result.events = json ? parseJsonLines(result.stdout) : null;
    };
    return { args, env, read };
  });
}

function parseJsonLines(text) {
  const events = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      events.push(JSON.parse(t));
    } catch {
      // not an event line
    }
  }
  return events;
}

/** Environment switches that keep Claude Code off the network (besides the gateway). */
export const CLAUDE_OFFLINE_ENV = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', // telemetry, error reports, update checks
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
};

/**
 * Runs Claude Code in print mode (`claude -p`) once, with the gateway as its
 * Anthropic endpoint and the virtual key as its bearer token. Every model
 * role (main, and the small one used for background tasks) is `model`.
 * Resolves to { code, signal, stdout, stderr, timedOut, result, home }:
 * `result` is the parsed `--output-format json` summary (its `.result` is
 * the final answer).
 *
 * Only the Bash tool is allowed, without prompting: `--dangerously-skip-permissions`
 * is refused when running as root, which CI machines often do.
 */
export async function runClaudeCode({
  baseUrl, apiKey, model, task, cwd, timeoutMs = 60_000, allowedTools = ['Bash'], maxTurns = 4, keepHome = false,
}) {
  return runInScratch('alephant-claude-', claudeBinary(), { cwd, keepHome, timeoutMs }, ({ home }) => {
    const args = [
      '-p', task,
      '--output-format', 'json',
      '--allowedTools', allowedTools.join(','),
      '--max-turns', String(maxTurns),
    ];
    const env = {
      ...baseEnv(home, apiKey),
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      ANTHROPIC_BASE_URL: originUrl(baseUrl),
      ANTHROPIC_AUTH_TOKEN: apiKey,
      ANTHROPIC_MODEL: model,
      ANTHROPIC_DEFAULT_OPUS_MODEL: model,
      ANTHROPIC_DEFAULT_SONNET_MODEL: model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
      ANTHROPIC_SMALL_FAST_MODEL: model,
      ...CLAUDE_OFFLINE_ENV,
    };
    const read = (result) => {
      result.result = parseJsonLines(result.stdout).find((e) => e.type === 'result') ?? null;
    };
    return { args, env, read };
  });
}
