import type { AnyValue, Attributes, HrTime, SeverityNumber, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { EventSpec } from '../src/catalogue.ts';
import { otelResources } from '../src/lazyModules.ts';

/** Resource and scope the processor's own records carry. */
export interface RecordOrigin {
  resource: Resource;
  instrumentationScope: InstrumentationScope;
}

let fallbackOrigin: RecordOrigin | undefined;

function defaultOrigin(): RecordOrigin {
  fallbackOrigin ??= { resource: otelResources().defaultResource(), instrumentationScope: { name: 'otel-session-logs' } };
  return fallbackOrigin;
}

/**
 * The log_level.changed record that SessionLevelProcessor writes itself when a level
 * changes (it has no Logger of its own): a plain log record that goes down the same
 * path as every other, so the files and any forwarding see it alike.
 */
export class LevelChangeRecord implements ReadWriteLogRecord {
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  spanContext?: SpanContext;
  private readonly origin: RecordOrigin | undefined;
  readonly attributes: Attributes;
  severityText?: string;
  severityNumber?: SeverityNumber;
  body?: AnyValue;
  eventName?: string;
  droppedAttributesCount = 0;

  constructor(origin: RecordOrigin | undefined, time: HrTime, spec: EventSpec, body: string, attributes: Attributes) {
    this.origin = origin;
    this.hrTime = this.hrTimeObserved = time;
    this.attributes = attributes;
    this.severityText = spec.severityText;
    this.severityNumber = spec.severityNumber;
    this.body = body;
    this.eventName = 'log_level.changed';
  }

  /** Read only where the record leaves for the SDK's processors or exporters; the files never read it. */
  get resource(): Resource {
    return (this.origin ?? defaultOrigin()).resource;
  }

  get instrumentationScope(): InstrumentationScope {
    return (this.origin ?? defaultOrigin()).instrumentationScope;
  }

  setAttribute(key: string, value?: AnyValue): this {
    if (value !== undefined) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) this.setAttribute(key, value);
    return this;
  }

  setBody(body: AnyValue): this {
    this.body = body;
    return this;
  }

  setEventName(eventName: string): this {
    this.eventName = eventName;
    return this;
  }

  setSeverityNumber(severityNumber: SeverityNumber): this {
    this.severityNumber = severityNumber;
    return this;
  }

  setSeverityText(severityText: string): this {
    this.severityText = severityText;
    return this;
  }
}
