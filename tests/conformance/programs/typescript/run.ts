// Conformance program of the typescript flavour: run.js ADDRESS VECTORS_FILE.
// Each request is parsed from proto3 JSON with protobuf-es, sent through
// ConformanceClient, and the response printed as proto3 JSON with the
// original proto field names (C11: JSON keeps `constructor`, `toString`...).
import { readFileSync } from "node:fs";
import { fromJson, toJson, type DescMessage, type JsonValue, type Message } from "@bufbuild/protobuf";
import { ClientError, ConformanceClient, ConformanceService, type CallOptions } from "conformance-client";

interface Vector {
  name: string;
  task: string;
  model: string;
  request: JsonValue;
}

type Method = (request: Message, options: CallOptions) => Promise<Message>;

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

async function run(client: ConformanceClient, vector: Vector): Promise<object> {
  const name = lowerFirst(vector.task);
  const descriptor = (ConformanceService.method as Record<string, { input: DescMessage; output: DescMessage }>)[name];
  const request = fromJson(descriptor.input, vector.request);
  const method = (client as unknown as Record<string, Method>)[name].bind(client);
  try {
    const response = await method(request, { modelId: vector.model, timeoutMs: 10_000 });
    return { name: vector.name, response: toJson(descriptor.output, response, { useProtoFieldName: true }) };
  } catch (error) {
    if (error instanceof ClientError) {
      return { name: vector.name, status: error.codeName, message: error.details };
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const [address, vectorsFile] = process.argv.slice(2);
  const vectors = JSON.parse(readFileSync(vectorsFile, "utf-8")) as Vector[];
  const client = new ConformanceClient(address);
  try {
    for (const vector of vectors) {
      console.log(JSON.stringify(await run(client, vector)));
    }
  } finally {
    client.close();
  }
}

await main();
