//! Runs the shared vectors through the generated Rust client:
//! `conformance-program ADDRESS VECTORS_FILE`.
//!
//! prost has no proto3 JSON, so each request is parsed with prost-reflect from
//! the crate's own descriptor set, re-encoded into the generated type, and sent
//! through the typed `Client`; the response goes the same way back to JSON.

use std::error::Error as StdError;
use std::time::Duration;

use conformance_client::conformance::v1 as pb;
use conformance_client::{Client, Error, FILE_DESCRIPTOR_SET};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde_json::{json, Value};

type BoxError = Box<dyn StdError>;

/// Calls the task `$method` with a request of type `$request` decoded from `$bytes`.
macro_rules! call {
    ($client:expr, $bytes:expr, $method:ident, $request:ty) => {{
        let request = <$request>::decode($bytes)?;
        $client.$method(request).await.map(|r| r.encode_to_vec())
    }};
}

async fn send(client: &Client, task: &str, bytes: &[u8]) -> Result<Result<Vec<u8>, Error>, BoxError> {
    Ok(match task {
        "EchoScalars" => call!(client, bytes, echo_scalars, pb::EchoScalarsRequest),
        "EchoPresence" => call!(client, bytes, echo_presence, pb::EchoPresenceRequest),
        "EchoContainers" => call!(client, bytes, echo_containers, pb::EchoContainersRequest),
        "EchoChoice" => call!(client, bytes, echo_choice, pb::EchoChoiceRequest),
        "EchoTimes" => call!(client, bytes, echo_times, pb::EchoTimesRequest),
        "EchoNames" => call!(client, bytes, echo_names, pb::EchoNamesRequest),
        "WrapNode" => call!(client, bytes, wrap_node, pb::WrapNodeRequest),
        "Fail" => call!(client, bytes, fail, pb::FailRequest),
        other => return Err(format!("unknown task {other:?}").into()),
    })
}

/// `InvalidArgument` -> `INVALID_ARGUMENT`, the name the vectors use.
fn code_name(code: tonic::Code) -> String {
    let mut name = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

async fn run(channel: tonic::transport::Channel, pool: &DescriptorPool, vector: &Value) -> Result<Value, BoxError> {
    let name = vector["name"].as_str().ok_or("vector without a name")?;
    let task = vector["task"].as_str().ok_or("vector without a task")?;
    let model = vector["model"].as_str().ok_or("vector without a model")?;
    let descriptor = |suffix: &str| {
        pool.get_message_by_name(&format!("conformance.v1.{task}{suffix}"))
            .ok_or_else(|| format!("no message {task}{suffix}"))
    };
    let request = DynamicMessage::deserialize(descriptor("Request")?, vector["request"].clone())?;
    let client = Client::new(channel, model)?.with_timeout(Duration::from_secs(10));
    match send(&client, task, &request.encode_to_vec()).await? {
        Ok(bytes) => {
            let response = DynamicMessage::decode(descriptor("Response")?, bytes.as_slice())?;
            let options = SerializeOptions::new().use_proto_field_name(true);
            let body = response.serialize_with_options(serde_json::value::Serializer, &options)?;
            Ok(json!({"name": name, "response": body}))
        }
        Err(error) => Ok(json!({
            "name": name,
            "status": code_name(error.code()),
            "message": error.message(),
        })),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: conformance-program ADDRESS VECTORS_FILE".into());
    }
    let vectors: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&args[2])?)?;
    let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET)?;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", args[1]))?
        .connect()
        .await?;
    for vector in &vectors {
        println!("{}", run(channel.clone(), &pool, vector).await?);
    }
    Ok(())
}
