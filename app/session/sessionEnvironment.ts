/**
 * What a session's process inherits from the server's environment. `inherit` passes everything
 * except secrets (the built-in list plus `deny`); a list of names (globs with `*`) passes only
 * those, as sshd passes only what AcceptEnv names. Variables given in a create request are
 * set on top either way: the client chose to pass them.
 */
export type SessionEnvPolicy = 'inherit' | readonly string[];

/**
 * Names that hold secrets by convention, never passed in `inherit` mode: the server's own token,
 * OTLP headers (they carry collector credentials), and anything named like a token, secret,
 * password, key or credential. Matched without regard to case.
 */
export const SECRET_ENV_NAMES: readonly string[] = [
  'SESSION_LOGS_TOKEN', 'OTEL_EXPORTER_OTLP_*HEADERS',
  '*TOKEN*', '*SECRET*', '*PASSWORD*', '*PASSWD*', '*PASSPHRASE*', '*API_KEY*', '*APIKEY*', '*_KEY', '*PRIVATE_KEY*', '*CREDENTIAL*',
];

/** A URL with a password in it (postgres://user:secret@host): a secret whatever the variable is called. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

/** A variable name a session may be given: what a POSIX shell can name. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_ALLOWED = 'names of letters, digits and _ not starting with a digit (e.g. "LANG"), values without NUL characters';

/** A `*` glob as a case-insensitive whole-name test. */
function globTest(globs: readonly string[]): (name: string) => boolean {
  if (globs.length === 0) return () => false;
  const source = globs.map((glob) => glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|');
  const re = new RegExp(`^(?:${source})$`, 'i');
  return (name) => re.test(name);
}

/** Builds the environment of each session's process once per server, from a policy. */
export class SessionEnvironment {
  private readonly inherited: Record<string, string>;

  /** `base` is the server's environment (default process.env), read once. */
  constructor(policy: SessionEnvPolicy, deny: readonly string[] = [], base: NodeJS.ProcessEnv = process.env) {
    const secret = globTest([...SECRET_ENV_NAMES, ...deny]);
    const allowed = policy === 'inherit' ? (name: string, value: string) => !secret(name) && !URL_WITH_PASSWORD.test(value) : globTest(policy);
    const denied = globTest(deny);
    this.inherited = {};
    for (const [name, value] of Object.entries(base)) {
      if (value !== undefined && allowed(name, value) && !denied(name)) this.inherited[name] = value;
    }
  }

  /** The inherited variables with the request's own on top. */
  for(requested: Readonly<Record<string, string>> = {}): Record<string, string> {
    return { ...this.inherited, ...requested };
  }

  /** Names inherited (for tests and docs). */
  get names(): string[] {
    return Object.keys(this.inherited);
  }
}

/** The first problem with a request's env, or undefined: a clear message for a 400. */
export function envProblem(env: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME_PATTERN.test(name)) return `env key ${JSON.stringify(name)} is not a variable name`;
    if (typeof value !== 'string') return `env.${name} is not a string`;
    if (value.includes('\0')) return `env.${name} contains a NUL character`;
  }
  return undefined;
}
