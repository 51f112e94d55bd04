import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import conformance.v1.ConformanceClient;
import conformance.v1.ConformanceException;
import conformance.v1.EchoChoiceRequest;
import conformance.v1.EchoContainersRequest;
import conformance.v1.EchoNamesRequest;
import conformance.v1.EchoPresenceRequest;
import conformance.v1.EchoScalarsRequest;
import conformance.v1.EchoTimesRequest;
import conformance.v1.FailRequest;
import conformance.v1.WrapNodeRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs the shared vectors through the generated Java client: Main ADDRESS VECTORS_FILE. */
public final class Main {
  /** Parses a request from proto3 JSON and sends it through the client. */
  private interface Call {
    Message run(ConformanceClient client, String json) throws InvalidProtocolBufferException;
  }

  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  private static final Map<String, Call> CALLS = new LinkedHashMap<>();

  static {
    CALLS.put("EchoScalars", (c, j) -> c.echoScalars(parse(j, EchoScalarsRequest.newBuilder())));
    CALLS.put("EchoPresence", (c, j) -> c.echoPresence(parse(j, EchoPresenceRequest.newBuilder())));
    CALLS.put(
        "EchoContainers", (c, j) -> c.echoContainers(parse(j, EchoContainersRequest.newBuilder())));
    CALLS.put("EchoChoice", (c, j) -> c.echoChoice(parse(j, EchoChoiceRequest.newBuilder())));
    CALLS.put("EchoTimes", (c, j) -> c.echoTimes(parse(j, EchoTimesRequest.newBuilder())));
    CALLS.put("EchoNames", (c, j) -> c.echoNames(parse(j, EchoNamesRequest.newBuilder())));
    CALLS.put("WrapNode", (c, j) -> c.wrapNode(parse(j, WrapNodeRequest.newBuilder())));
    CALLS.put("Fail", (c, j) -> c.fail(parse(j, FailRequest.newBuilder())));
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T parse(String json, Message.Builder builder)
      throws InvalidProtocolBufferException {
    PARSER.merge(json, builder);
    return (T) builder.build();
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    String text = Files.readString(Path.of(args[1]), StandardCharsets.UTF_8);
    JsonArray vectors = JsonParser.parseString(text).getAsJsonArray();
    ManagedChannel channel =
        Grpc.newChannelBuilder(args[0], InsecureChannelCredentials.create()).build();
    try {
      for (JsonElement element : vectors) {
        out.println(run(channel, element.getAsJsonObject()));
      }
    } finally {
      channel.shutdownNow();
    }
  }

  private static String run(ManagedChannel channel, JsonObject vector) throws Exception {
    String name = vector.get("name").getAsString();
    Call call = CALLS.get(vector.get("task").getAsString());
    ConformanceClient client =
        new ConformanceClient(channel, vector.get("model").getAsString())
            .withTimeout(Duration.ofSeconds(10));
    JsonObject line = new JsonObject();
    line.addProperty("name", name);
    try {
      Message response = call.run(client, vector.get("request").toString());
      line.add("response", JsonParser.parseString(JsonFormat.printer().print(response)));
    } catch (ConformanceException e) {
      line.addProperty("status", e.getCode().name());
      line.addProperty("message", e.getDescription());
    }
    return new Gson().toJson(line);
  }
}
