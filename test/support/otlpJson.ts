/** One log record of an OTLP/JSON logs payload, with its attributes as a plain object. */
export interface OtlpLogRecord {
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
  eventName: string | undefined;
  body: unknown;
  severityText: string | undefined;
  severityNumber: number | undefined;
  timeUnixNano: string;
  /** Hex, as OTLP/JSON writes them; undefined when the record has none. */
  traceId: string | undefined;
  spanId: string | undefined;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

function valueOf(v: AnyValue | undefined): unknown {
  if (!v || Object.keys(v).length === 0) return null; // an absent body
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('boolValue' in v) return v.boolValue;
  if ('doubleValue' in v) return v.doubleValue;
  return v;
}

function attributesOf(list: Array<{ key: string; value: AnyValue }> = []): Record<string, unknown> {
  return Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
}

/** Every log record of an ExportLogsServiceRequest in OTLP/JSON. */
export function otlpLogRecords(payload: { resourceLogs?: any[] }): OtlpLogRecord[] {
  const records: OtlpLogRecord[] = [];
  for (const resourceLogs of payload.resourceLogs ?? []) {
    const resource = attributesOf(resourceLogs.resource?.attributes);
    for (const scope of resourceLogs.scopeLogs ?? []) {
      for (const record of scope.logRecords ?? []) {
        records.push({
          resource, attributes: attributesOf(record.attributes), eventName: record.eventName,
          body: valueOf(record.body), severityText: record.severityText, severityNumber: record.severityNumber, timeUnixNano: String(record.timeUnixNano),
          traceId: record.traceId || undefined, spanId: record.spanId || undefined,
        });
      }
    }
  }
  return records;
}
