import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import wiretest.v1.CountRequest;
import wiretest.v1.CountResponse;
import wiretest.v1.RunningSumRequest;
import wiretest.v1.RunningSumResponse;
import wiretest.v1.SumRequest;
import wiretest.v1.SumResponse;
import wiretest.v1.WiretestClient;
import wiretest.v1.WiretestServiceGrpc;

/**
 * Makes one call of each streaming shape: Main ADDRESS. Count goes through the
 * typed client; Sum and RunningSum, which it leaves unwrapped, go through the
 * async stub with the model id header, as the client's README says. It prints
 * one JSON line per call.
 */
public final class Main {
  private static final long TIMEOUT_SECONDS = 30;

  /** Collects a stream's replies; done completes with all of them or the error. */
  private static final class Collector<T> implements StreamObserver<T> {
    final List<T> replies = new ArrayList<>();
    final CompletableFuture<List<T>> done = new CompletableFuture<>();

    @Override
    public void onNext(T reply) {
      replies.add(reply);
    }

    @Override
    public void onError(Throwable error) {
      done.completeExceptionally(error);
    }

    @Override
    public void onCompleted() {
      done.complete(replies);
    }
  }

  public static void main(String[] args) throws Exception {
    ManagedChannel channel =
        Grpc.newChannelBuilder(args[0], InsecureChannelCredentials.create()).build();
    try {
      count(channel);
      sum(channel);
      runningSum(channel);
    } finally {
      channel.shutdownNow();
    }
  }

  private static void count(ManagedChannel channel) {
    WiretestClient client = new WiretestClient(channel, "counter");
    List<String> items = new ArrayList<>();
    Iterator<CountResponse> replies = client.count(CountRequest.newBuilder().setN(4).build());
    replies.forEachRemaining(reply -> items.add(Long.toString(reply.getIndex())));
    System.out.println("{\"call\": \"count\", \"items\": [" + String.join(", ", items) + "]}");
  }

  private static WiretestServiceGrpc.WiretestServiceStub asyncStub(
      ManagedChannel channel, String modelId) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("mm-model-id", Metadata.ASCII_STRING_MARSHALLER), modelId);
    return WiretestServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static void sum(ManagedChannel channel) throws Exception {
    Collector<SumResponse> collector = new Collector<>();
    StreamObserver<SumRequest> requests = asyncStub(channel, "summer").sum(collector);
    requests.onNext(SumRequest.newBuilder().setValues(1).setScale(2).build());
    requests.onNext(SumRequest.newBuilder().setValues(2).build());
    requests.onNext(SumRequest.newBuilder().setValues(3).build());
    requests.onCompleted();
    SumResponse total = collector.done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(0);
    System.out.println(
        "{\"call\": \"sum\", \"total\": " + total.getTotal() + ", \"count\": " + total.getCount() + "}");
  }

  private static void runningSum(ManagedChannel channel) throws Exception {
    Collector<RunningSumResponse> collector = new Collector<>();
    StreamObserver<RunningSumRequest> requests =
        asyncStub(channel, "running").runningSum(collector);
    for (long value : new long[] {5, 6, 7}) {
      requests.onNext(RunningSumRequest.newBuilder().setValues(value).build());
    }
    requests.onCompleted();
    List<String> totals = new ArrayList<>();
    for (RunningSumResponse reply : collector.done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      totals.add("[" + reply.getTotal() + ", " + reply.getCount() + "]");
    }
    System.out.println(
        "{\"call\": \"running\", \"totals\": [" + String.join(", ", totals) + "]}");
  }
}
