import { describe, expect, it } from 'vitest';
import { AvroSchemaError } from './avro.js';
import { protoType } from './proto.js';

const refusal = (text: string): string => {
  try {
    protoType(text);
  } catch (e) {
    if (e instanceof AvroSchemaError) return e.message;
    throw e;
  }
  return 'accepted';
};

describe('.proto schemas', () => {
  it('give the TypeScript type of their first message type, as the registry client decodes it', () => {
    const proto = [
      'syntax = "proto3";',
      'package shop;',
      '// an order',
      'message Order {',
      '  string id = 1;',
      '  int32 qty = 2 [deprecated = true];',
      '  repeated Line lines = 3;',
      '  map<string, double> attrs = 4;',
      '  Status status = 5;',
      '  oneof pay { string card = 6; Money cash = 7; }',
      '  bytes blob = 8;',
      '  message Line { string sku = 1; }',
      '  enum Status { NEW = 0; PAID = 1; }',
      '}',
      'message Money { double amount = 1; }',
    ].join('\n');
    expect(protoType(proto)).toBe(
      '{ "id": string; "qty": number; "lines": Array<{ "sku": string }>; "attrs": Record<string, number>; "status": number; ' +
        '"card": string; "cash": { "amount": number } | null; "blob": Uint8Array }',
    );
  });

  it('type 64-bit integers as numbers or Longs, and qualified names resolve', () => {
    expect(protoType('package a.b;\nmessage T { int64 n = 1; .a.b.U u = 2; a.b.U v = 3; }\nmessage U { bool ok = 1; }')).toBe(
      '{ "n": number | { low: number; high: number; unsigned: boolean; toNumber(): number }; "u": { "ok": boolean } | null; "v": { "ok": boolean } | null }',
    );
  });

  it('that Pipewright cannot read are refused with the line and the reason', () => {
    expect(refusal('message A {\n  strng x = 1;\n}')).toBe(
      'line 2: field "x" of A has type "strng", which is neither a scalar type nor a message or enum of this file',
    );
    expect(refusal('message A { string x; }')).toBe('line 1: "=" expected, not ";"');
    expect(refusal('syntax = "proto3";')).toBe('the .proto declares no message type');
    expect(refusal('import "other.proto";\nmessage A { Other o = 1; }')).toMatch(/^line 1: imports are not read/);
    expect(refusal('message A { string x = 1;')).toBe('the .proto ends where a field or "}" should be');
    expect(refusal('message A { map<double, string> m = 1; }')).toMatch(/needs an integer, bool or string key type/);
  });
});
