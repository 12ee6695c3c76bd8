/**
 * deploy/docker-compose.yaml, deploy/loki-config.yaml, deploy/grafana/ and otel-collector.yaml
 * must agree with each other: Docker does not run here, so these tests parse the files and
 * check every reference between them (service names, ports, endpoints, mounted paths, the
 * data source uid, the names the dashboard's LogQL uses against docs/loki.md).
 *
 * Each check is a function that returns a list of problems. The real files must give none;
 * the "catches" tests break one thing in a copy and expect the check to name it, so a check
 * that cannot fail is itself a failure.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

type Dict = Record<string, any>;

const root = fileURLToPath(new URL('../../', import.meta.url));
const deployDir = join(root, 'deploy');
const composePath = join(deployDir, 'docker-compose.yaml');

interface Stack {
  compose: Dict;
  collector: Dict;
  builder: Dict;
  lokiConfig: Dict;
  datasources: Dict;
  dashboardProviders: Dict;
  dashboard: Dict;
  docs: string;
}

function loadStack(): Stack {
  // merge: compose shares the Collector settings through an anchor and `<<:` merge keys.
  const yamlFile = (path: string): Dict => parse(readFileSync(path, 'utf8'), { merge: true }) as Dict;
  return {
    compose: yamlFile(composePath),
    collector: yamlFile(join(root, 'otel-collector.yaml')),
    builder: yamlFile(join(deployDir, 'otelcol-builder.yaml')),
    lokiConfig: yamlFile(join(deployDir, 'loki-config.yaml')),
    datasources: yamlFile(join(deployDir, 'grafana/datasources/loki.yaml')),
    dashboardProviders: yamlFile(join(deployDir, 'grafana/dashboards/dashboards.yaml')),
    dashboard: JSON.parse(readFileSync(join(deployDir, 'grafana/dashboards/session-logs.json'), 'utf8')) as Dict,
    docs: readFileSync(join(root, 'docs/loki.md'), 'utf8'),
  };
}

// ---------------------------------------------------------------- helpers

/** `${env:NAME:-default}` -> its default; anything else as is. */
function envDefault(value: string): string {
  const m = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*:-(.*)\}$/.exec(value.trim());
  return m ? m[1]! : value;
}

/** Port of `host:port` or a URL (default port by scheme). */
function portOf(address: string): number {
  if (/^[a-z]+:\/\//.test(address)) {
    const url = new URL(address);
    return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  }
  const m = /:(\d+)$/.exec(address);
  if (!m) throw new Error(`no port in ${address}`);
  return Number(m[1]);
}

/** Container ports a compose service publishes (short syntax `[ip:]host:container[/proto]`, or long syntax). */
function publishedContainerPorts(service: Dict): number[] {
  return ((service.ports ?? []) as unknown[]).map((p) => {
    if (typeof p === 'object' && p !== null) return Number((p as Dict).target);
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    return Number(parts[parts.length - 1]);
  });
}

/** Split `a:b:c` on colons that are not inside `${...}` (compose interpolation, e.g. `${X:-~/d}`). */
function splitOutsideBraces(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '$' && text[i + 1] === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    if (c === ':' && depth === 0) { parts.push(current); current = ''; } else current += c;
  }
  parts.push(current);
  return parts;
}

interface Mount { source: string; target: string; type: string }

/** A compose service's volumes, short or long syntax. */
function mounts(service: Dict): Mount[] {
  return ((service.volumes ?? []) as unknown[]).map((v) => {
    if (typeof v === 'object' && v !== null) {
      const d = v as Dict;
      return { source: String(d.source ?? ''), target: String(d.target), type: String(d.type ?? 'volume') };
    }
    const [source = '', target = ''] = splitOutsideBraces(String(v));
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || source.startsWith('$');
    return { source, target, type: bind ? 'bind' : 'volume' };
  });
}

/** The host path (relative to the compose file) mounted at a container path, following parent mounts. */
function hostPathFor(service: Dict, containerPath: string): string | undefined {
  const candidates = mounts(service)
    .filter((m) => m.type === 'bind' && !m.source.startsWith('$') && !m.source.startsWith('~'))
    .filter((m) => containerPath === m.target || containerPath.startsWith(m.target.replace(/\/$/, '') + '/'))
    .sort((a, b) => b.target.length - a.target.length);
  const m = candidates[0];
  if (!m) return undefined;
  return resolve(dirname(composePath), m.source, posix.relative(m.target, containerPath));
}

/** `-flag=value` or `--flag=value` from a command array or string. */
function flagValue(command: unknown, flag: string): string | undefined {
  const args = Array.isArray(command) ? command.map(String) : String(command ?? '').split(/\s+/);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    if (a === flag) return args[i + 1];
  }
  return undefined;
}

function envOf(service: Dict): Dict {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env as Dict;
  return Object.fromEntries((env as string[]).map((e) => { const i = e.indexOf('='); return [e.slice(0, i), e.slice(i + 1)]; }));
}

/** Image tag, or undefined when the image is unpinned. */
function imageTag(image: unknown): string | undefined {
  const m = /^[^@]+:([^:/@]+)$/.exec(String(image ?? ''));
  return m && m[1] !== 'latest' ? m[1] : undefined;
}

/** Every LogQL expression in the dashboard, with where it came from. */
function dashboardQueries(dashboard: Dict): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const panel of (dashboard.panels ?? []) as Dict[]) {
    for (const target of (panel.targets ?? []) as Dict[]) out.push({ where: `panel "${panel.title}" ${target.refId}`, expr: String(target.expr ?? '') });
  }
  return out;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
/** Like IDENT, plus dots, so a mistaken OTel name (`session.id`) is read whole and reported. */
const NAME = '[A-Za-z_][A-Za-z0-9_.]*';

/** Label and structured-metadata names a LogQL expression refers to, split by where they appear. */
export function logqlNames(expr: string): { selector: string[]; all: string[] } {
  const all = new Set<string>();
  const selector = new Set<string>();
  // Fields used in line_format / label_format templates: {{.name}}
  for (const m of expr.matchAll(new RegExp(`\\{\\{-?\\s*\\.(${IDENT})`, 'g'))) all.add(m[1]!);
  // From here on, string literals are noise (regexes, values, templates).
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"|`[^`]*`/g, '""');
  for (const m of bare.matchAll(/\{([^{}]*)\}/g)) {
    for (const n of m[1]!.matchAll(new RegExp(`(${NAME})\\s*(?:=~|!~|!=|=)`, 'g'))) selector.add(n[1]!);
  }
  for (const m of bare.matchAll(new RegExp(`(${NAME})\\s*(?:=~|!~|!=|==|>=|<=|=|>|<)`, 'g'))) all.add(m[1]!);
  for (const m of bare.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const n of m[1]!.split(',')) if (n.trim()) all.add(n.trim());
  }
  for (const m of bare.matchAll(new RegExp(`\\bunwrap\\s+(?:\\w+\\()?(${IDENT})`, 'g'))) all.add(m[1]!);
  for (const n of selector) all.add(n);
  return { selector: [...selector], all: [...all] };
}

/** Grafana variables a query uses ($name, ${name}, ${name:fmt}, [[name]]). */
function variablesIn(expr: string): string[] {
  return [...expr.matchAll(new RegExp(`\\$\\{?(${IDENT})|\\[\\[(${IDENT})`, 'g'))].map((m) => (m[1] ?? m[2])!);
}

const GRAFANA_GLOBALS = new Set(['__interval', '__interval_ms', '__range', '__range_s', '__range_ms', '__auto', '__rate_interval']);

/** The table under "## Names in Loki" in docs/loki.md: name -> kind. */
export function documentedNames(docs: string): Map<string, string> {
  const start = docs.indexOf('## Names in Loki');
  if (start < 0) return new Map();
  const rest = docs.slice(start + 1);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const names = new Map<string, string>();
  for (const m of section.matchAll(/^\|\s*`([^`]+)`\s*\|\s*([^|]+)\|/gm)) names.set(m[1]!, m[2]!.trim());
  return names;
}

// ---------------------------------------------------------------- checks (each returns problems)

function lokiPort(s: Stack): number {
  return Number(s.lokiConfig?.server?.http_listen_port ?? 3100);
}

/** The backend exporter's URL comes from LOGS_BACKEND_ENDPOINT (alias LOKI_OTLP_ENDPOINT); each compose Collector points it at the loki service's OTLP endpoint. */
export function checkCollectorToLoki(s: Stack): string[] {
  const problems: string[] = [];
  const raw = String(s.collector?.exporters?.['otlp_http/backend']?.endpoint ?? '');
  if (!/^\$\{env:LOGS_BACKEND_ENDPOINT:-\$\{env:LOKI_OTLP_ENDPOINT:-[^}]+\}\}$/.test(raw)) problems.push(`otlp_http/backend endpoint ${raw} is not LOGS_BACKEND_ENDPOINT, then LOKI_OTLP_ENDPOINT, then a default`);
  const fallback = /:-(http[^}]*)\}/.exec(raw)?.[1] ?? '';
  let url: URL;
  try { url = new URL(fallback); } catch { return [...problems, `otlp_http/backend default endpoint ${fallback} is not a URL`]; }
  if (url.pathname.replace(/\/$/, '') !== '/otlp' || portOf(fallback) !== lokiPort(s)) problems.push(`otlp_http/backend default ${fallback} is not Loki's OTLP endpoint (port ${lokiPort(s)}, path /otlp)`);
  const services = s.compose?.services ?? {};
  for (const [name, svc] of collectorServices(s)) {
    const env = envOf(svc);
    if (env.LOKI_OTLP_ENDPOINT !== undefined) problems.push(`compose ${name} sets LOKI_OTLP_ENDPOINT; use LOGS_BACKEND_ENDPOINT`);
    const endpoint = String(env.LOGS_BACKEND_ENDPOINT ?? '');
    let target: URL;
    try { target = new URL(endpoint); } catch { problems.push(`compose ${name} LOGS_BACKEND_ENDPOINT ${endpoint} is not a URL`); continue; }
    if (!services[target.hostname]) problems.push(`compose ${name}: LOGS_BACKEND_ENDPOINT host ${target.hostname} is not a compose service (${Object.keys(services).join(', ')})`);
    if (target.pathname.replace(/\/$/, '') !== '/otlp') problems.push(`compose ${name}: LOGS_BACKEND_ENDPOINT path ${target.pathname} is not Loki's OTLP endpoint /otlp`);
    const port = portOf(endpoint);
    if (port !== lokiPort(s)) problems.push(`compose ${name}: LOGS_BACKEND_ENDPOINT port ${port} != loki-config.yaml http_listen_port ${lokiPort(s)}`);
    const loki = services[target.hostname];
    if (loki && !publishedContainerPorts(loki).includes(port)) problems.push(`compose service ${target.hostname} does not publish container port ${port}`);
  }
  return problems;
}

/** Compose services that run the Collector (the contrib image), by name. */
function collectorServices(s: Stack): [string, Dict][] {
  return Object.entries((s.compose?.services ?? {}) as Dict).filter(([, svc]) => /opentelemetry-collector/.test(String((svc as Dict).image))) as [string, Dict][];
}

/**
 * Each Collector service runs ../otel-collector.yaml with a receiver that file defines; the
 * push service (otelcol, receiver otlp) publishes the otlp receiver's port; the pull service
 * mounts the directory the file_log receiver reads.
 */
export function checkCollectorService(s: Stack): string[] {
  const problems: string[] = [];
  const services = collectorServices(s);
  if (!s.compose?.services?.otelcol) problems.push('compose has no otelcol service');
  const receiverDefault = envDefault(String(s.collector?.receivers?.otlp?.protocols?.http?.endpoint ?? ''));
  const receiverPort = portOf(receiverDefault);
  if (receiverPort !== 4318) problems.push(`otlp receiver default port ${receiverPort} is not 4318`);
  const pipelineReceiver = JSON.stringify(s.collector?.service?.pipelines ?? {}).match(/\$\{env:OTELCOL_LOGS_RECEIVER:-([^}]+)\}/)?.[1];
  if (pipelineReceiver !== 'otlp') problems.push(`otel-collector.yaml pipelines do not default to the otlp receiver (${pipelineReceiver})`);
  // Same version as the components our own build pins, so compose runs what the tests ran.
  const builderVersions = new Set([...JSON.stringify(s.builder).matchAll(/opentelemetry-collector(?:-contrib)?\/[\w/]+ v(0\.\d+\.\d+)/g)].map((m) => m[1]));
  const receiversSeen = new Set<string>();
  for (const [name, svc] of services) {
    if (!/^otel\/opentelemetry-collector-contrib:/.test(String(svc.image))) problems.push(`${name} image ${svc.image} is not otel/opentelemetry-collector-contrib`);
    const tag = imageTag(svc.image);
    if (!tag) problems.push(`${name} image ${svc.image} is not pinned`);
    else if (!builderVersions.has(tag)) problems.push(`${name} image tag ${tag} differs from deploy/otelcol-builder.yaml (${[...builderVersions].join(', ')})`);
    const configPath = flagValue(svc.command, '--config') ?? '/etc/otelcol-contrib/config.yaml';
    const mounted = mounts(svc).find((m) => m.target === configPath);
    if (!mounted) problems.push(`${name}: nothing is mounted at the Collector's --config ${configPath}`);
    else {
      if (mounted.source !== '../otel-collector.yaml') problems.push(`${name}: the Collector's config is ${mounted.source}, not ../otel-collector.yaml`);
      const host = resolve(dirname(composePath), mounted.source);
      if (!existsSync(host)) problems.push(`${name}: mounted Collector config ${host} does not exist`);
    }
    const env = envOf(svc);
    const receiver = String(env.OTELCOL_LOGS_RECEIVER ?? pipelineReceiver);
    receiversSeen.add(receiver);
    if (!s.collector?.receivers?.[receiver]) problems.push(`${name}: OTELCOL_LOGS_RECEIVER ${receiver} is not a receiver in otel-collector.yaml`);
    const exportDir = env.SESSION_EXPORT_DIR ?? envDefault(String(s.collector?.exporters?.['file/sessions']?.path ?? '')).replace(/\/\*\.jsonl$/, '');
    if (!mounts(svc).some((m) => m.target === exportDir)) problems.push(`${name}: file/sessions directory ${exportDir} is not a writable mount`);
    // The disk queue and read offsets must outlive the container: a named volume, made the Collector user's first.
    const storageDir = String(env.OTELCOL_STORAGE_DIR ?? envDefault(String(s.collector?.extensions?.file_storage?.directory ?? '')));
    const storage = mounts(svc).find((m) => m.target === storageDir);
    if (!storage || storage.type !== 'volume') problems.push(`${name}: OTELCOL_STORAGE_DIR ${storageDir} is not a named volume`);
    else {
      const owners = Object.entries((s.compose?.services ?? {}) as Dict).filter(([, o]) => /\bchown\b/.test(JSON.stringify((o as Dict).command)) && mounts(o as Dict).some((m) => m.source === storage.source));
      const user = String(svc.user ?? '10001:10001');
      if (!owners.some(([, o]) => JSON.stringify((o as Dict).command).includes(user))) problems.push(`${name}: nothing makes volume ${storage.source} the Collector user's (${user}) before it starts`);
      for (const [owner] of owners) if (svc.depends_on?.[owner]?.condition !== 'service_completed_successfully') problems.push(`${name} does not wait for ${owner} to finish`);
    }
    if (!JSON.stringify(svc.command ?? '').includes('--feature-gates=stanza.synchronousLogEmitter')) problems.push(`${name} does not run with --feature-gates=stanza.synchronousLogEmitter`);
    if (receiver === 'otlp') {
      const listen = String(env.OTLP_HTTP_ENDPOINT ?? receiverDefault);
      if (portOf(listen) !== receiverPort) problems.push(`${name}: OTLP_HTTP_ENDPOINT port ${portOf(listen)} != otlp receiver default ${receiverPort}`);
      if (!listen.startsWith('0.0.0.0:')) problems.push(`${name}: OTLP_HTTP_ENDPOINT ${listen} must listen on 0.0.0.0 in a container`);
      if (!publishedContainerPorts(svc).includes(portOf(listen))) problems.push(`${name} does not publish the OTLP port ${portOf(listen)}`);
    }
    if (receiver.startsWith('file_log')) {
      const include = JSON.stringify(s.collector?.receivers?.[receiver]?.include ?? []);
      if (!include.includes('SESSION_LOGS_DIR')) problems.push(`${receiver} does not read SESSION_LOGS_DIR`);
      const logsDir = String(env.SESSION_LOGS_DIR ?? '/var/log/sessions');
      if (!mounts(svc).some((m) => m.target === logsDir)) problems.push(`${name}: SESSION_LOGS_DIR ${logsDir} is not mounted`);
      if (!(svc.profiles ?? []).length) problems.push(`${name}: the pull Collector must be behind a profile (push and pull together deliver twice)`);
    }
  }
  if (envOf(s.compose?.services?.otelcol ?? {}).OTELCOL_LOGS_RECEIVER !== 'otlp') problems.push('the otelcol service is not the push (otlp) Collector');
  if (!receiversSeen.has('file_log/sessions')) problems.push('no Collector service runs the pull receiver file_log/sessions');
  return problems;
}

/** The loki service runs deploy/loki-config.yaml, and that config accepts OTLP with structured metadata. */
export function checkLoki(s: Stack): string[] {
  const problems: string[] = [];
  const loki = s.compose?.services?.loki as Dict | undefined;
  if (!loki) return ['compose has no loki service'];
  const tag = imageTag(loki.image);
  if (!/^grafana\/loki:/.test(String(loki.image)) || !tag || !/^3\.\d+\.\d+$/.test(tag)) problems.push(`loki image ${loki.image} is not a pinned grafana/loki:3.x.y`);
  const configPath = flagValue(loki.command, '-config.file');
  if (!configPath) problems.push('loki command has no -config.file');
  else {
    const host = hostPathFor(loki, configPath);
    if (!host) problems.push(`nothing is mounted at loki's -config.file ${configPath}`);
    else if (host !== join(deployDir, 'loki-config.yaml')) problems.push(`loki runs ${host}, not deploy/loki-config.yaml`);
    else if (!existsSync(host)) problems.push(`${host} does not exist`);
  }
  if (s.lokiConfig?.limits_config?.allow_structured_metadata !== true) problems.push('loki-config.yaml: limits_config.allow_structured_metadata is not true');
  const schemas = (s.lokiConfig?.schema_config?.configs ?? []) as Dict[];
  const last = schemas[schemas.length - 1];
  if (!last || last.schema !== 'v13' || last.store !== 'tsdb') problems.push('loki-config.yaml: the newest schema is not v13 with the tsdb store');
  if (!publishedContainerPorts(loki).includes(lokiPort(s))) problems.push(`loki does not publish its http_listen_port ${lokiPort(s)}`);
  return problems;
}

/** Grafana: provisioning is mounted, the data source points at the loki service, the dashboard is where the provider looks. */
export function checkGrafana(s: Stack): string[] {
  const problems: string[] = [];
  const grafana = s.compose?.services?.grafana as Dict | undefined;
  if (!grafana) return ['compose has no grafana service'];
  if (!/^grafana\/grafana(-oss)?:/.test(String(grafana.image)) || !imageTag(grafana.image)) problems.push(`grafana image ${grafana.image} is not pinned`);
  if (!publishedContainerPorts(grafana).includes(3000)) problems.push('grafana does not publish port 3000');
  const env = envOf(grafana);
  if (String(env.GF_AUTH_ANONYMOUS_ENABLED) === 'true' && env.GF_AUTH_ANONYMOUS_ORG_ROLE !== 'Viewer') problems.push('anonymous Grafana access must be Viewer only');

  const datasourcesDir = hostPathFor(grafana, '/etc/grafana/provisioning/datasources');
  if (!datasourcesDir || datasourcesDir !== join(deployDir, 'grafana/datasources') || !existsSync(datasourcesDir)) {
    problems.push(`/etc/grafana/provisioning/datasources is not deploy/grafana/datasources (got ${datasourcesDir})`);
  }
  const list = (s.datasources?.datasources ?? []) as Dict[];
  const lokiSources = list.filter((d) => d.type === 'loki');
  if (lokiSources.length !== 1) problems.push(`expected one Loki data source, found ${lokiSources.length}`);
  for (const d of lokiSources) {
    if (!d.uid) problems.push('the Loki data source has no fixed uid');
    let url: URL | undefined;
    try { url = new URL(String(d.url)); } catch { problems.push(`data source url ${d.url} is not a URL`); }
    if (url) {
      if (!s.compose?.services?.[url.hostname] || !String(s.compose.services[url.hostname].image).startsWith('grafana/loki:')) problems.push(`data source host ${url.hostname} is not the compose loki service`);
      if (portOf(String(d.url)) !== lokiPort(s)) problems.push(`data source port ${portOf(String(d.url))} != Loki http_listen_port ${lokiPort(s)}`);
    }
  }

  const providers = (s.dashboardProviders?.providers ?? []) as Dict[];
  if (providers.length === 0) problems.push('dashboards.yaml has no providers');
  for (const p of providers) {
    const path = String(p.options?.path ?? '');
    const host = hostPathFor(grafana, path);
    if (!host || !existsSync(host) || !statSync(host).isDirectory()) problems.push(`dashboard provider path ${path} is not a mounted directory (host ${host})`);
    else if (!existsSync(join(host, 'session-logs.json'))) problems.push(`dashboard provider path ${path} does not contain session-logs.json`);
  }
  const providersFile = hostPathFor(grafana, '/etc/grafana/provisioning/dashboards/dashboards.yaml');
  if (!providersFile || !existsSync(providersFile)) problems.push('dashboards.yaml is not mounted at /etc/grafana/provisioning/dashboards');
  const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
  if (home) {
    const host = hostPathFor(grafana, String(home));
    if (!host || !existsSync(host)) problems.push(`home dashboard ${home} is not a mounted file`);
  }
  return problems;
}

/** Every panel, target and variable uses the provisioned data source uid. */
export function checkDashboardDatasource(s: Stack): string[] {
  const problems: string[] = [];
  const uid = ((s.datasources?.datasources ?? []) as Dict[]).find((d) => d.type === 'loki')?.uid;
  const panels = (s.dashboard?.panels ?? []) as Dict[];
  if (panels.length === 0) problems.push('the dashboard has no panels');
  const titles = panels.map((p) => String(p.title).toLowerCase());
  for (const wanted of ['records per session and level', 'audit trail', 'errors']) {
    if (!titles.includes(wanted)) problems.push(`the dashboard has no "${wanted}" panel`);
  }
  for (const panel of panels) {
    if (panel.datasource?.uid !== uid) problems.push(`panel "${panel.title}" uses data source ${JSON.stringify(panel.datasource)}, not uid ${uid}`);
    const targets = (panel.targets ?? []) as Dict[];
    if (targets.length === 0) problems.push(`panel "${panel.title}" has no query`);
    for (const t of targets) {
      if (t.datasource !== undefined && t.datasource?.uid !== uid) problems.push(`panel "${panel.title}" query ${t.refId} uses data source ${JSON.stringify(t.datasource)}, not uid ${uid}`);
      if (!String(t.expr ?? '').trim()) problems.push(`panel "${panel.title}" query ${t.refId} is empty`);
    }
  }
  for (const v of (s.dashboard?.templating?.list ?? []) as Dict[]) {
    if (v.type === 'query' && v.datasource?.uid !== uid) problems.push(`variable ${v.name} uses data source ${JSON.stringify(v.datasource)}, not uid ${uid}`);
  }
  return problems;
}

/** Every name a query uses is documented in docs/loki.md; stream selectors use labels only; variables exist. */
export function checkDashboardNames(s: Stack): string[] {
  const problems: string[] = [];
  const documented = documentedNames(s.docs);
  if (documented.size === 0) problems.push('docs/loki.md has no "## Names in Loki" table');
  const variables = new Set(((s.dashboard?.templating?.list ?? []) as Dict[]).map((v) => String(v.name)));
  const queries = dashboardQueries(s.dashboard);
  for (const v of (s.dashboard?.templating?.list ?? []) as Dict[]) {
    const q = typeof v.query === 'string' ? v.query : '';
    const m = /^label_values\((?:.*,\s*)?(\w+)\)$/.exec(q);
    if (m) queries.push({ where: `variable ${v.name}`, expr: `{${m[1]}=""}` });
  }
  for (const { where, expr } of queries) {
    const { selector, all } = logqlNames(expr);
    if (selector.length === 0) problems.push(`${where}: no stream selector in ${expr}`);
    for (const name of all) {
      if (!documented.has(name)) problems.push(`${where}: ${name} is not documented in docs/loki.md`);
    }
    for (const name of selector) {
      const kind = documented.get(name);
      if (kind !== undefined && !kind.startsWith('label')) problems.push(`${where}: ${name} is ${kind}, not a label, so it cannot be in a stream selector`);
    }
    for (const v of variablesIn(expr)) {
      if (!variables.has(v) && !GRAFANA_GLOBALS.has(v)) problems.push(`${where}: variable $${v} is not defined in the dashboard`);
    }
  }
  return problems;
}

/** docs/loki.md shows both ways in, with the commands and names the files use. */
export function checkDocs(s: Stack): string[] {
  const problems: string[] = [];
  for (const text of ['docker compose -f deploy/docker-compose.yaml up', 'OTELCOL_LOGS_RECEIVER=file_log/sessions', 'OTEL_LOGS_EXPORTER=otlp', '[session_logging.otlp]', 'http://127.0.0.1:4318/v1/logs']) {
    if (!s.docs.includes(text)) problems.push(`docs/loki.md does not mention ${text}`);
  }
  if (!s.collector?.receivers?.['file_log/sessions']) problems.push('otel-collector.yaml has no file_log/sessions receiver, which docs/loki.md describes');
  for (const name of ['service_name', 'session_id', 'session_log_category', 'session_log_tier', 'session_log_seq']) {
    if (!documentedNames(s.docs).has(name)) problems.push(`docs/loki.md's name table lacks ${name}`);
  }
  if (!/structured metadata, not a label/i.test(s.docs)) problems.push('docs/loki.md does not explain why session.id is structured metadata, not a label');
  return problems;
}

const CHECKS = { checkCollectorToLoki, checkCollectorService, checkLoki, checkGrafana, checkDashboardDatasource, checkDashboardNames, checkDocs };

// ---------------------------------------------------------------- tests

describe('deploy: docker-compose, Loki, Grafana and otel-collector.yaml agree', () => {
  let stack: Stack;
  before(() => {
    stack = loadStack();
  });
  /** A deep copy of the real files, changed by `edit`. */
  function broken(edit: (s: Stack) => void): Stack {
    const copy = structuredClone(stack);
    edit(copy);
    return copy;
  }
  const expectProblem = (problems: string[], pattern: RegExp): void => {
    assert.ok(problems.some((p) => pattern.test(p)), `expected a problem matching ${pattern}, got ${JSON.stringify(problems)}`);
  };

  it('references only files that exist', () => {
    for (const path of ['otel-collector.yaml', 'deploy/loki-config.yaml', 'deploy/grafana/datasources/loki.yaml', 'deploy/grafana/dashboards/dashboards.yaml', 'deploy/grafana/dashboards/session-logs.json', 'docs/loki.md']) {
      assert.ok(existsSync(join(root, path)), `${path} is missing`);
    }
    // Every relative bind mount in compose points at something that exists.
    for (const [name, service] of Object.entries(stack.compose.services as Dict)) {
      for (const m of mounts(service as Dict)) {
        if (m.type !== 'bind' || !m.source.startsWith('.')) continue;
        assert.ok(existsSync(resolve(deployDir, m.source)), `service ${name} mounts ${m.source}, which does not exist`);
      }
    }
  });

  for (const [name, check] of Object.entries(CHECKS)) {
    it(`${name}: no problems in the real files`, () => {
      assert.deepEqual(check(stack), []);
    });
  }

  describe('each check catches a broken reference', () => {
    it('Loki port in otel-collector.yaml or compose differs from Loki\'s', () => {
      expectProblem(checkCollectorToLoki(broken((s) => { s.collector.exporters['otlp_http/backend'].endpoint = '${env:LOGS_BACKEND_ENDPOINT:-${env:LOKI_OTLP_ENDPOINT:-http://127.0.0.1:3101/otlp}}'; })), /not Loki's OTLP endpoint \(port 3100/);
      expectProblem(checkCollectorToLoki(broken((s) => { s.compose.services.otelcol.environment.LOGS_BACKEND_ENDPOINT = 'http://loki:3101/otlp'; })), /port 3101/);
      expectProblem(checkCollectorToLoki(broken((s) => { s.lokiConfig.server.http_listen_port = 3200; })), /3200/);
    });
    it('the endpoint not taken from LOGS_BACKEND_ENDPOINT, or the old name dropped', () => {
      expectProblem(checkCollectorToLoki(broken((s) => { s.collector.exporters['otlp_http/backend'].endpoint = '${env:LOKI_OTLP_ENDPOINT:-http://127.0.0.1:3100/otlp}'; })), /not LOGS_BACKEND_ENDPOINT/);
      expectProblem(checkCollectorToLoki(broken((s) => { s.collector.exporters['otlp_http/backend'].endpoint = '${env:LOGS_BACKEND_ENDPOINT:-http://127.0.0.1:3100/otlp}'; })), /then LOKI_OTLP_ENDPOINT/);
    });
    it('Loki service renamed in compose', () => {
      expectProblem(checkCollectorToLoki(broken((s) => { s.compose.services.logs = s.compose.services.loki; delete s.compose.services.loki; })), /host loki is not a compose service/);
    });
    it('compose sends elsewhere than Loki\'s OTLP endpoint, or uses the old variable name', () => {
      expectProblem(checkCollectorToLoki(broken((s) => { s.compose.services.otelcol.environment.LOGS_BACKEND_ENDPOINT = 'http://loki:3100/loki/api/v1/push'; })), /path \/loki\/api\/v1\/push/);
      expectProblem(checkCollectorToLoki(broken((s) => { s.compose.services.otelcol.environment.LOKI_OTLP_ENDPOINT = 'http://loki:3100/otlp'; })), /sets LOKI_OTLP_ENDPOINT/);
    });
    it('the Collector\'s state is not on a volume it owns, or it runs without the feature gate', () => {
      expectProblem(checkCollectorService(broken((s) => { s.compose.services.otelcol.volumes.splice(1, 1); })), /OTELCOL_STORAGE_DIR \/var\/lib\/otelcol\/storage is not a named volume/);
      expectProblem(checkCollectorService(broken((s) => { delete s.compose.services['otelcol-pull-storage-owner']; })), /otelcol-pull: nothing makes volume otelcol-pull-storage/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services['otelcol-pull'].user = '1000:1000'; })), /user's \(1000:1000\)/);
      expectProblem(checkCollectorService(broken((s) => { delete s.compose.services.otelcol.depends_on['otelcol-storage-owner']; })), /does not wait for otelcol-storage-owner/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services.otelcol.command = ['--config=/etc/otelcol-contrib/config.yaml']; })), /feature-gates/);
    });
    it('the Collector mounts another config, or does not publish 4318', () => {
      expectProblem(checkCollectorService(broken((s) => { s.compose.services.otelcol.volumes[0] = '../other.yaml:/etc/otelcol-contrib/config.yaml:ro'; })), /not \.\.\/otel-collector\.yaml/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services.otelcol.ports = ['127.0.0.1:4317:4317']; })), /does not publish the OTLP port 4318/);
      expectProblem(checkCollectorService(broken((s) => { s.collector.receivers.otlp.protocols.http.endpoint = '${env:OTLP_HTTP_ENDPOINT:-0.0.0.0:4319}'; })), /4319/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services.otelcol.image = 'otel/opentelemetry-collector-contrib:latest'; })), /not pinned/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services.otelcol.image = 'otel/opentelemetry-collector-contrib:0.100.0'; })), /differs from deploy\/otelcol-builder\.yaml/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services['otelcol-pull'].environment.OTELCOL_LOGS_RECEIVER = 'filelog/sessions'; })), /filelog\/sessions is not a receiver/);
      expectProblem(checkCollectorService(broken((s) => { s.compose.services['otelcol-pull'].volumes.splice(1, 1); })), /SESSION_LOGS_DIR \/var\/log\/sessions is not mounted/);
      expectProblem(checkCollectorService(broken((s) => { delete s.compose.services['otelcol-pull'].profiles; })), /behind a profile/);
    });
    it('Loki without structured metadata, an old schema, or another config file', () => {
      expectProblem(checkLoki(broken((s) => { s.lokiConfig.limits_config.allow_structured_metadata = false; })), /allow_structured_metadata/);
      expectProblem(checkLoki(broken((s) => { s.lokiConfig.schema_config.configs[0].schema = 'v12'; })), /v13/);
      expectProblem(checkLoki(broken((s) => { s.compose.services.loki.command = ['-config.file=/etc/loki/local-config.yaml']; })), /nothing is mounted/);
      expectProblem(checkLoki(broken((s) => { s.compose.services.loki.image = 'grafana/loki:2.9.4'; })), /grafana\/loki:3/);
    });
    it('the Grafana data source points elsewhere, or provisioning is not mounted', () => {
      expectProblem(checkGrafana(broken((s) => { s.datasources.datasources[0].url = 'http://localhost:3100'; })), /not the compose loki service/);
      expectProblem(checkGrafana(broken((s) => { s.datasources.datasources[0].url = 'http://loki:3101'; })), /port 3101/);
      expectProblem(checkGrafana(broken((s) => { s.compose.services.grafana.volumes = ['grafana-data:/var/lib/grafana']; })), /datasources/);
      expectProblem(checkGrafana(broken((s) => { s.dashboardProviders.providers[0].options.path = '/var/lib/grafana/dashboards'; })), /not a mounted directory/);
    });
    it('a panel or query with another data source uid', () => {
      expectProblem(checkDashboardDatasource(broken((s) => { s.dashboard.panels[0].datasource.uid = 'P8E80F9AEF21F6940'; })), /P8E80F9AEF21F6940/);
      expectProblem(checkDashboardDatasource(broken((s) => { s.dashboard.panels[1].targets[0].datasource = { type: 'loki', uid: 'other' }; })), /"other"/);
      expectProblem(checkDashboardDatasource(broken((s) => { s.datasources.datasources[0].uid = 'loki-2'; })), /not uid loki-2/);
      expectProblem(checkDashboardDatasource(broken((s) => { s.dashboard.panels = s.dashboard.panels.filter((p: Dict) => p.title !== 'Audit trail'); })), /audit trail/);
    });
    it('a query with an undocumented name, a metadata field in the stream selector, or an undefined variable', () => {
      const withExpr = (expr: string): Stack => broken((s) => { s.dashboard.panels[0].targets[0].expr = expr; });
      expectProblem(checkDashboardNames(withExpr('{service_name="$service"} | session.id="s-1"')), /session\.id is not documented/);
      expectProblem(checkDashboardNames(withExpr('{service_name="$service"} | sessionid="s-1"')), /sessionid is not documented/);
      expectProblem(checkDashboardNames(withExpr('sum by (session) (count_over_time({service_name="$service"} [$__interval]))')), /session is not documented/);
      expectProblem(checkDashboardNames(withExpr('{service_name="x"} | line_format "{{.sessionId}}"')), /sessionId is not documented/);
      expectProblem(checkDashboardNames(withExpr('{session_id="s-1"}')), /session_id is structured metadata/);
      expectProblem(checkDashboardNames(withExpr('{service_name="$svc"}')), /\$svc is not defined/);
      expectProblem(checkDashboardNames(broken((s) => { s.docs = s.docs.replace('| `session_log_tier` |', '| tier |'); })), /session_log_tier is not documented/);
    });
    it('docs without the setup or the name table', () => {
      expectProblem(checkDocs(broken((s) => { s.docs = s.docs.replaceAll('OTELCOL_LOGS_RECEIVER=file_log/sessions', 'OTELCOL_LOGS_RECEIVER=filelog/sessions'); })), /file_log\/sessions/);
      expectProblem(checkDocs(broken((s) => { s.docs = s.docs.replace('## Names in Loki', '## Names'); })), /lacks service_name/);
    });
  });

  it('logqlNames reads names from selectors, filters, groupings and templates, not from values', () => {
    const { selector, all } = logqlNames('sum by (session_id, session_log_tier) (count_over_time({service_name="a=b"} | session_log_category="audit" or severity_text=~"(?i)x=y" | line_format "{{.session_log_seq}} {{__line__}}" [5m]))');
    assert.deepEqual(selector, ['service_name']);
    assert.deepEqual(all.sort(), ['service_name', 'session_id', 'session_log_category', 'session_log_seq', 'session_log_tier', 'severity_text']);
  });
});
