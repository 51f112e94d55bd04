//! Makes one call of each streaming shape: `streaming-program ADDRESS`.
//!
//! Count goes through the typed `Client`; Sum and RunningSum, which it leaves
//! unwrapped, go through `client.stub()` with `client.request(..)` carrying
//! the model id and deadline, as the crate's README says. It prints one JSON
//! line per call.

use std::error::Error as StdError;
use std::time::Duration;

use serde_json::json;
use wiretest_client::wiretest::v1 as pb;
use wiretest_client::Client;

type BoxError = Box<dyn StdError>;

const TIMEOUT: Duration = Duration::from_secs(30);

async fn client(address: &str, model_id: &str) -> Result<Client, BoxError> {
    let client = Client::connect(format!("http://{address}"), model_id).await?;
    Ok(client.with_timeout(TIMEOUT))
}

async fn count(address: &str) -> Result<(), BoxError> {
    let request = pb::CountRequest {
        n: 4,
        ..Default::default()
    };
    let mut stream = client(address, "counter").await?.count(request).await?;
    let mut items = Vec::new();
    while let Some(item) = stream.message().await? {
        items.push(item.index);
    }
    println!("{}", json!({"call": "count", "items": items}));
    Ok(())
}

async fn sum(address: &str) -> Result<(), BoxError> {
    let client = client(address, "summer").await?;
    let requests = vec![
        pb::SumRequest {
            values: 1,
            scale: Some(2),
        },
        pb::SumRequest {
            values: 2,
            scale: None,
        },
        pb::SumRequest {
            values: 3,
            scale: None,
        },
    ];
    let request = client.request(tokio_stream::iter(requests));
    let total = client.stub().sum(request).await?.into_inner();
    println!(
        "{}",
        json!({"call": "sum", "total": total.total, "count": total.count})
    );
    Ok(())
}

async fn running_sum(address: &str) -> Result<(), BoxError> {
    let client = client(address, "running").await?;
    let requests = [5, 6, 7].map(|values| pb::RunningSumRequest { values });
    let request = client.request(tokio_stream::iter(requests));
    let mut replies = client.stub().running_sum(request).await?.into_inner();
    let mut totals = Vec::new();
    while let Some(reply) = replies.message().await? {
        totals.push([reply.total, reply.count]);
    }
    println!("{}", json!({"call": "running", "totals": totals}));
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let address = std::env::args()
        .nth(1)
        .ok_or("usage: streaming-program ADDRESS")?;
    count(&address).await?;
    sum(&address).await?;
    running_sum(&address).await?;
    Ok(())
}
