// Streaming program of the typescript flavour: run.js ADDRESS. Count goes
// through the typed client; Sum and RunningSum, which the client leaves
// unwrapped, go through `client.grpc` with the generated schemas, as its
// README says. It prints one JSON line per call.
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  RunningSumRequestSchema,
  RunningSumResponseSchema,
  SumRequestSchema,
  SumResponseSchema,
  WiretestClient,
} from "wiretest-client";

const TIMEOUT_MS = 30_000;

function show(call: string, fields: object): void {
  console.log(JSON.stringify({ call, ...fields }));
}

function serialize<I extends DescMessage>(schema: I): (value: MessageShape<I>) => Buffer {
  return (value) => Buffer.from(toBinary(schema, value));
}

function deserialize<O extends DescMessage>(schema: O): (bytes: Buffer) => MessageShape<O> {
  return (bytes) => fromBinary(schema, bytes);
}

function onModel(modelId: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("mm-model-id", modelId);
  return metadata;
}

async function count(client: WiretestClient): Promise<void> {
  const items: string[] = [];
  for await (const item of client.count({ n: 4n }, { modelId: "counter" })) {
    items.push(item.index.toString());
  }
  show("count", { items: items.map(Number) });
}

function sum(client: WiretestClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = client.grpc.makeClientStreamRequest(
      "/wiretest.v1.WiretestService/Sum",
      serialize(SumRequestSchema),
      deserialize(SumResponseSchema),
      onModel("summer"),
      { deadline: Date.now() + TIMEOUT_MS },
      (error: grpc.ServiceError | null, reply?: MessageShape<typeof SumResponseSchema>) => {
        if (error || reply === undefined) {
          reject(error ?? new Error("Sum ended without a reply"));
          return;
        }
        show("sum", { total: Number(reply.total), count: Number(reply.count) });
        resolve();
      },
    );
    call.write(create(SumRequestSchema, { values: 1n, scale: 2n }));
    call.write(create(SumRequestSchema, { values: 2n }));
    call.write(create(SumRequestSchema, { values: 3n }));
    call.end();
  });
}

async function runningSum(client: WiretestClient): Promise<void> {
  const call = client.grpc.makeBidiStreamRequest(
    "/wiretest.v1.WiretestService/RunningSum",
    serialize(RunningSumRequestSchema),
    deserialize(RunningSumResponseSchema),
    onModel("running"),
    { deadline: Date.now() + TIMEOUT_MS },
  );
  for (const value of [5n, 6n, 7n]) {
    call.write(create(RunningSumRequestSchema, { values: value }));
  }
  call.end();
  const totals: number[][] = [];
  for await (const reply of call as AsyncIterable<MessageShape<typeof RunningSumResponseSchema>>) {
    totals.push([Number(reply.total), Number(reply.count)]);
  }
  show("running", { totals });
}

const client = new WiretestClient(process.argv[2], { timeoutMs: TIMEOUT_MS });
try {
  await count(client);
  await sum(client);
  await runningSum(client);
} finally {
  client.close();
}
