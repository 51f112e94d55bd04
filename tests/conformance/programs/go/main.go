// Command conformance runs the shared vectors through the generated Go client.
//
// Usage: conformance ADDRESS VECTORS_FILE. It prints one JSON line per vector:
// the response in proto3 JSON, or the status code name and message.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	conformance "example.com/conformance-client"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type vector struct {
	Name    string          `json:"name"`
	Task    string          `json:"task"`
	Model   string          `json:"model"`
	Request json.RawMessage `json:"request"`
}

// call parses a request from proto3 JSON and sends it through the client.
type call func(context.Context, *conformance.Client, []byte) (proto.Message, error)

// unary adapts one typed client method to a call.
func unary[Req any, Resp proto.Message, PReq interface {
	*Req
	proto.Message
}](method func(*conformance.Client, context.Context, PReq, ...grpc.CallOption) (Resp, error)) call {
	return func(ctx context.Context, client *conformance.Client, request []byte) (proto.Message, error) {
		message := PReq(new(Req))
		if err := protojson.Unmarshal(request, message); err != nil {
			return nil, fmt.Errorf("request is not proto3 JSON: %w", err)
		}
		response, err := method(client, ctx, message)
		if err != nil {
			return nil, err
		}
		return response, nil
	}
}

var calls = map[string]call{
	"EchoScalars":    unary((*conformance.Client).EchoScalars),
	"EchoPresence":   unary((*conformance.Client).EchoPresence),
	"EchoContainers": unary((*conformance.Client).EchoContainers),
	"EchoChoice":     unary((*conformance.Client).EchoChoice),
	"EchoTimes":      unary((*conformance.Client).EchoTimes),
	"EchoNames":      unary((*conformance.Client).EchoNames),
	"WrapNode":       unary((*conformance.Client).WrapNode),
	"Fail":           unary((*conformance.Client).Fail),
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: conformance ADDRESS VECTORS_FILE")
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	var vectors []vector
	if err := json.Unmarshal(raw, &vectors); err != nil {
		log.Fatal(err)
	}
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	for _, v := range vectors {
		line, err := run(conn, v)
		if err != nil {
			log.Fatalf("%s: %v", v.Name, err)
		}
		fmt.Println(string(line))
	}
}

func run(conn *grpc.ClientConn, v vector) ([]byte, error) {
	task, ok := calls[v.Task]
	if !ok {
		return nil, fmt.Errorf("unknown task %q", v.Task)
	}
	client := conformance.New(conn, v.Model, conformance.WithTimeout(10*time.Second))
	response, err := task(context.Background(), client, v.Request)
	if err != nil {
		st, ok := status.FromError(err)
		if !ok {
			return nil, err
		}
		return json.Marshal(map[string]string{
			"name":    v.Name,
			"status":  code.Code(st.Code()).String(),
			"message": st.Message(),
		})
	}
	body, err := protojson.Marshal(response)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"name": v.Name, "response": json.RawMessage(body)})
}
