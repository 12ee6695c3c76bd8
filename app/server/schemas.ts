import { LEVELS } from '../../src/levels.ts';
import { SESSION_ID_PATTERN } from '../../format/sessionId.ts';
import { ID_ALLOWED } from '../session/SessionManager.ts';
import { ENV_NAME_ALLOWED, ENV_NAME_PATTERN } from '../session/sessionEnvironment.ts';
import { MAX_PATTERN_LENGTH, PATTERN_ALLOWED } from '../../processors/linearPattern.ts';

/**
 * Route schemas. `description` holds what is allowed; error messages quote it, so a client
 * that sends something wrong is told what would be right.
 */
const LEVEL_ALLOWED = LEVELS.join(', ');

const sessionId = { type: 'string', pattern: SESSION_ID_PATTERN.source, description: ID_ALLOWED } as const;
const level = { type: 'string', enum: [...LEVELS], description: LEVEL_ALLOWED } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: sessionId },
  description: 'a session id in the path',
} as const;

export const createBody = {
  type: 'object',
  required: ['command'],
  additionalProperties: false,
  description: 'a JSON object with command (required), id, args, cwd, env, log_level, prompt_pattern',
  properties: {
    id: sessionId,
    command: { type: 'string', minLength: 1, maxLength: 4096, description: 'a non-empty string naming an executable, e.g. "sh"' },
    args: { type: 'array', maxItems: 4096, items: { type: 'string', description: 'a string' }, description: 'an array of strings' },
    cwd: { type: 'string', minLength: 1, description: 'a directory path' },
    env: {
      type: 'object',
      propertyNames: { pattern: ENV_NAME_PATTERN.source, description: ENV_NAME_ALLOWED },
      additionalProperties: { type: 'string', description: 'a string value' },
      description: `an object of variables: ${ENV_NAME_ALLOWED}`,
    },
    log_level: level,
    prompt_pattern: { type: 'string', minLength: 1, maxLength: MAX_PATTERN_LENGTH, description: `${PATTERN_ALLOWED}, matched against the unfinished last line of output` },
  },
} as const;

export const inputBody = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  description: 'a JSON object {"data": "text to write to the session\'s stdin"}',
  properties: { data: { type: 'string', minLength: 1, description: 'a non-empty string' } },
} as const;

export const levelBody = {
  type: 'object',
  required: ['level'],
  additionalProperties: false,
  description: `a JSON object {"level": one of ${LEVEL_ALLOWED}}`,
  properties: { level },
} as const;

/** Ajv options: report unknown keys and wrong types instead of silently fixing them. */
export const AJV_OPTIONS = { removeAdditional: false, coerceTypes: false, allErrors: false, verbose: true } as const;
