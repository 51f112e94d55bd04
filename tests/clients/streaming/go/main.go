// Command streaming makes one call of each streaming shape through the
// generated Go client: streaming ADDRESS. It prints one JSON line per call.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	wiretest "example.com/wiretest-client"
	wiretestv1 "example.com/wiretest-client/wiretest/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func main() {
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	// The stream calls live as long as ctx, so ctx carries their deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, step := range []func(context.Context, grpc.ClientConnInterface) error{count, sum, runningSum} {
		if err := step(ctx, conn); err != nil {
			log.Fatal(err)
		}
	}
}

func count(ctx context.Context, conn grpc.ClientConnInterface) error {
	stream, err := wiretest.New(conn, "counter").Count(ctx, &wiretestv1.CountRequest{N: 4})
	if err != nil {
		return err
	}
	items := []int64{}
	for {
		item, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		items = append(items, item.GetIndex())
	}
	return show(map[string]any{"call": "count", "items": items})
}

func sum(ctx context.Context, conn grpc.ClientConnInterface) error {
	stream, err := wiretest.New(conn, "summer").Sum(ctx)
	if err != nil {
		return err
	}
	scale := int64(2)
	requests := []*wiretestv1.SumRequest{{Values: 1, Scale: &scale}, {Values: 2}, {Values: 3}}
	for _, request := range requests {
		if err := stream.Send(request); err != nil {
			return err
		}
	}
	total, err := stream.CloseAndRecv()
	if err != nil {
		return err
	}
	return show(map[string]any{"call": "sum", "total": total.GetTotal(), "count": total.GetCount()})
}

func runningSum(ctx context.Context, conn grpc.ClientConnInterface) error {
	stream, err := wiretest.New(conn, "running").RunningSum(ctx)
	if err != nil {
		return err
	}
	for _, value := range []int64{5, 6, 7} {
		if err := stream.Send(&wiretestv1.RunningSumRequest{Values: value}); err != nil {
			return err
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	totals := [][2]int64{}
	for {
		reply, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		totals = append(totals, [2]int64{reply.GetTotal(), reply.GetCount()})
	}
	return show(map[string]any{"call": "running", "totals": totals})
}

func show(fields map[string]any) error {
	line, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(line))
	return err
}
