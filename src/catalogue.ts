import { SeverityNumber } from '@opentelemetry/api';
import { eventPart } from '../format/formatLine.ts';
import { type Level, levelRank } from './levels.ts';
import type { Category } from './attributes.ts';

/** What the library knows about one event name. */
export interface EventSpec {
  readonly tier: Level;
  readonly rank: number;
  readonly category: Category;
  readonly severityNumber: SeverityNumber;
  readonly severityText: string;
  /** Bodies of these events carry user data (input, output, commands) and get `redact` applied. */
  readonly redact: boolean;
  /** The line's event, category, tier and severity fields, built once (catalogue events only). */
  readonly eventJson?: string;
}

function spec(tier: Level, category: Category, severity: 'INFO' | 'WARN' | 'ERROR' = 'INFO', redact = false): EventSpec {
  const severityNumber = severity === 'ERROR' ? SeverityNumber.ERROR : severity === 'WARN' ? SeverityNumber.WARN : SeverityNumber.INFO;
  return Object.freeze({ tier, rank: levelRank(tier), category, severityNumber, severityText: severity, redact });
}

/**
 * The event catalogue: event name -> tier and default category. The only place that knows it.
 * audit = what a user did; system = what the machine did.
 */
const ENTRIES: Array<[string, EventSpec]> = [
  // spawns: session lifecycle
  ['session.created', spec('spawns', 'system')],
  ['session.terminated', spec('spawns', 'system')],
  ['window.created', spec('spawns', 'system')],
  ['window.closed', spec('spawns', 'system')],
  ['pane.created', spec('spawns', 'system')],
  ['pane.closed', spec('spawns', 'system')],
  // Recorded at every level (spawns is the lowest), so a reader can explain a change in verbosity.
  ['log_level.changed', spec('spawns', 'audit')],
  // An action requested through the API (create/terminate a session, change its level).
  ['api.request', spec('spawns', 'audit')],
  // signals: completions, errors, state
  ['process.started', spec('signals', 'system')],
  ['process.exited', spec('signals', 'system')],
  ['error', spec('signals', 'system', 'ERROR')],
  ['warning', spec('signals', 'system', 'WARN')],
  ['client.attached', spec('signals', 'audit')],
  ['client.detached', spec('signals', 'audit')],
  ['agent.state_changed', spec('signals', 'system')],
  // prompts: prompts and commands
  ['prompt.detected', spec('prompts', 'system', 'INFO', true)],
  ['command.started', spec('prompts', 'audit', 'INFO', true)],
  ['tool.called', spec('prompts', 'system')],
  // full: complete transcripts
  ['output', spec('full', 'system', 'INFO', true)],
  ['input', spec('full', 'audit', 'INFO', true)],
];

export const EVENT_CATALOGUE: ReadonlyMap<string, EventSpec> = new Map(
  ENTRIES.map(([name, s]) => [name, Object.freeze({ ...s, eventJson: eventPart(name, s.category, s.tier, s.severityText) })]),
);

export const EVENT_NAMES: readonly string[] = [...EVENT_CATALOGUE.keys()];

/**
 * Spec for an event that is not in the catalogue. Plain OTel records without a known
 * event name or an explicit tier are treated as `full` so they only appear when a session
 * asked for everything.
 */
export function customEventSpec(tier: Level, category: Category = 'system'): EventSpec {
  return spec(tier, category);
}

export const UNKNOWN_EVENT_SPEC: EventSpec = spec('full', 'system');
