import type { AnyValue, Attributes, HrTime, SeverityNumber, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { defaultResource, type Resource } from '@opentelemetry/resources';
import type { ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { EventSpec } from '../src/catalogue.ts';

/** Resource and scope the processor's own records carry. */
export interface RecordOrigin {
  resource: Resource;
  instrumentationScope: InstrumentationScope;
}

let fallbackOrigin: RecordOrigin | undefined;

/**
 * The log_level.changed record that SessionLevelProcessor writes itself when a level
 * changes (it has no Logger of its own): a plain log record that goes down the same
 * path as every other, so the files and any forwarding see it alike.
 */
export class LevelChangeRecord implements ReadWriteLogRecord {
  hrTime: HrTime;
  hrTimeObserved: HrTime;
  spanContext?: SpanContext;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly attributes: Attributes;
  severityText?: string;
  severityNumber?: SeverityNumber;
  body?: AnyValue;
  eventName?: string;
  droppedAttributesCount = 0;

  constructor(origin: RecordOrigin | undefined, time: HrTime, spec: EventSpec, body: string, attributes: Attributes) {
    const from = origin ?? (fallbackOrigin ??= { resource: defaultResource(), instrumentationScope: { name: 'otel-session-logs' } });
    this.hrTime = this.hrTimeObserved = time;
    this.resource = from.resource;
    this.instrumentationScope = from.instrumentationScope;
    this.attributes = attributes;
    this.severityText = spec.severityText;
    this.severityNumber = spec.severityNumber;
    this.body = body;
    this.eventName = 'log_level.changed';
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
