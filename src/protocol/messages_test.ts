import assert from "node:assert/strict";
import {
  decodeMessage,
  encodePing,
  encodePong,
  encodeRequest,
  encodeResponse,
  MAX_REQUEST_NUMBER,
  type Message,
  MessageKind,
  ProtocolError,
} from "./messages.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decode(text: string): Message {
  return decodeMessage(encoder.encode(text));
}

/** The wire text of an encoded message, EOT included. */
function wire(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function refusal(text: string): ProtocolError {
  try {
    decode(text);
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `unexpected error ${error}`);
    return error;
  }
  assert.fail(`decoding ${text} should have failed`);
}

Deno.test("message kinds and the request number bound are those of docs/protocol.md", () => {
  assert.deepEqual(MessageKind, { Request: 0, Response: 1, Ping: 2, Pong: 3 });
  assert.equal(MAX_REQUEST_NUMBER, 1_000_000);
});

Deno.test("a request decodes to its number, type, data and password", () => {
  assert.deepEqual(
    decode('[0,{"no":42,"type":"poll","data":{"targets":["a"]},"password":"s3cret"}]'),
    {
      kind: "request",
      request: { no: 42, type: "poll", data: { targets: ["a"] }, password: "s3cret" },
    },
  );
});

Deno.test("a request without data, or with null data, gets {} as its data", () => {
  assert.deepEqual(decode('[0,{"no":1,"type":"status"}]'), {
    kind: "request",
    request: { no: 1, type: "status", data: {} },
  });
  assert.deepEqual(decode('[0,{"no":1,"type":"status","data":null}]'), {
    kind: "request",
    request: { no: 1, type: "status", data: {} },
  });
});

Deno.test("PHP's empty-array data is accepted as {}", () => {
  // json_encode([]) gives `[]`, which is what the PHP client sends for no data.
  assert.deepEqual(decode('[0,{"no":7,"type":"status","data":[]}]'), {
    kind: "request",
    request: { no: 7, type: "status", data: {} },
  });
});

Deno.test("ping and pong have no body and encode as [2] and [3]", () => {
  assert.deepEqual(decode("[2]"), { kind: "ping" });
  assert.deepEqual(decode("[3]"), { kind: "pong" });
  assert.equal(wire(encodePing()), "[2]\x04");
  assert.equal(wire(encodePong()), "[3]\x04");
});

Deno.test("malformed messages are refused with error number 0 when no number is readable", () => {
  const cases: [string, RegExp][] = [
    ["", /not valid JSON/],
    ["not json", /not valid JSON/],
    ['[0,{"no":1,"type":"x"}', /not valid JSON/],
    ['{"no":1,"type":"status"}', /expected a non-empty JSON array/],
    ['"text"', /expected a non-empty JSON array/],
    ["null", /expected a non-empty JSON array/],
    ["[]", /expected a non-empty JSON array/],
    ['[4,{"no":1}]', /unknown message type 4/],
    ['["0",{"no":1,"type":"status"}]', /unknown message type "0"/],
    ["[null]", /unknown message type null/],
    ["[0]", /Malformed request: expected an object, got undefined/],
    ['[0,"status"]', /Malformed request: expected an object, got string/],
    ['[0,[1,"status"]]', /Malformed request: expected an object, got array/],
    ['[0,{"type":"status"}]', /Malformed request: missing field 'no'/],
    ['[0,{"no":"7","type":"status"}]', /'no' must be an integer from 1 to 999999, got "7"/],
    ['[0,{"no":1.5,"type":"status"}]', /'no' must be an integer from 1 to 999999, got 1.5/],
    ['[0,{"no":-1,"type":"status"}]', /'no' must be an integer from 1 to 999999, got -1/],
    ['[0,{"no":null,"type":"status"}]', /'no' must be an integer from 1 to 999999, got null/],
    // Request numbers are 1 to 999,999 (0 answers unreadable messages).
    ['[0,{"no":0,"type":"status"}]', /'no' must be an integer from 1 to 999999, got 0/],
    ['[0,{"no":1000000,"type":"status"}]', /'no' must be an integer from 1 to 999999, got 1000000/],
    ['[0,{"no":1e300,"type":"status"}]', /'no' must be an integer from 1 to 999999, got 1e\+300/],
    ['[1,{"no":1000000,"data":"ok"}]', /'no' must be an integer from 0 to 999999, got 1000000/],
    ["[1]", /Malformed response: expected an object, got undefined/],
    ['[1,{"data":"ok"}]', /Malformed response: missing field 'no'/],
  ];
  for (const [text, pattern] of cases) {
    const error = refusal(text);
    assert.equal(error.no, 0, text);
    assert.match(error.message, pattern, text);
    assert.match(error.message, /^Malformed /, text);
  }
});

Deno.test("a malformed request whose number is readable carries that number", () => {
  const cases: [string, RegExp][] = [
    ['[0,{"no":9}]', /missing field 'type'/],
    ['[0,{"no":9,"type":5}]', /'type' must be a string, got number/],
    ['[0,{"no":9,"type":null}]', /'type' must be a string, got null/],
    ['[0,{"no":9,"type":"poll","data":"targets"}]', /'data' must be an object, got string/],
    ['[0,{"no":9,"type":"poll","data":0}]', /'data' must be an object, got number/],
    ['[0,{"no":9,"type":"poll","data":false}]', /'data' must be an object, got boolean/],
    ['[0,{"no":9,"type":"poll","data":["a"]}]', /'data' must be an object, got array/],
    ['[0,{"no":9,"type":"poll","password":123}]', /'password' must be a string, got number/],
    ['[1,{"no":9,"error":{"text":"x"}}]', /'error' must be a string, got object/],
  ];
  for (const [text, pattern] of cases) {
    const error = refusal(text);
    assert.equal(error.no, 9, text);
    assert.match(error.message, pattern, text);
  }
});

Deno.test("a request is encoded with data always and the password only when non-empty", () => {
  assert.equal(
    wire(encodeRequest({ no: 3, type: "status", data: {} })),
    '[0,{"no":3,"type":"status","data":{}}]\x04',
  );
  assert.equal(
    wire(encodeRequest({ no: 3, type: "status", data: {}, password: "" })),
    '[0,{"no":3,"type":"status","data":{}}]\x04',
  );
  assert.equal(
    wire(encodeRequest({ no: 4, type: "poll", data: { targets: ["a"] }, password: "pw" })),
    '[0,{"no":4,"type":"poll","data":{"targets":["a"]},"password":"pw"}]\x04',
  );
});

Deno.test("an encoded request decodes to the same request", () => {
  const request = { no: 999_999, type: "run-manual", data: { ids: [1, 2], note: "ж😀" } };
  const bytes = encodeRequest(request);
  assert.deepEqual(decodeMessage(bytes.subarray(0, bytes.length - 1)), {
    kind: "request",
    request,
  });
});

Deno.test("responses keep falsy data: 0, empty string, false, [] and null", () => {
  for (const data of [0, "", false, [], null]) {
    const bytes = encodeResponse({ no: 5, data });
    assert.equal(wire(bytes), `[1,{"no":5,"data":${JSON.stringify(data)}}]\x04`);
    assert.deepEqual(decodeMessage(bytes.subarray(0, bytes.length - 1)), {
      kind: "response",
      response: { no: 5, data },
    });
  }
});

Deno.test("an error response carries the error text and no data", () => {
  const bytes = encodeResponse({ no: 6, error: "invalid target 'x'" });
  assert.equal(wire(bytes), `[1,{"no":6,"error":"invalid target 'x'"}]\x04`);
  assert.deepEqual(decodeMessage(bytes.subarray(0, bytes.length - 1)), {
    kind: "response",
    response: { no: 6, error: "invalid target 'x'" },
  });
});

Deno.test("a response numbered 0 (answer to an unparsable message) decodes", () => {
  assert.deepEqual(decode('[1,{"no":0,"error":"Malformed message"}]'), {
    kind: "response",
    response: { no: 0, error: "Malformed message" },
  });
});
