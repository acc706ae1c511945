package main

import (
	"context"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
)

// runLeaseKeepAlive is etcd's `benchmark lease-keepalive`: each client grants a lease, opens one LeaseKeepAlive
// stream on its connection and sends keep-alives one at a time, each answered before the next; total in all.
func runLeaseKeepAlive(cfg config, cs []*clientv3.Client) result {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type client struct {
		id     clientv3.LeaseID
		stream pb.Lease_LeaseKeepAliveClient
	}
	ls := make([]client, cfg.clients)
	for w := range ls {
		c := cs[w%len(cs)]
		lease, err := c.Grant(ctx, 60)
		if err != nil {
			return newResult(cfg, nil, cfg.total, err, 0)
		}
		stream, err := pb.NewLeaseClient(c.ActiveConnection()).LeaseKeepAlive(ctx)
		if err != nil {
			return newResult(cfg, nil, cfg.total, err, 0)
		}
		ls[w] = client{lease.ID, stream}
	}
	work := make(chan int, cfg.total)
	for i := 0; i < cfg.total; i++ {
		work <- i
	}
	close(work)
	var all totals
	start := time.Now()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func(l client) {
			defer wg.Done()
			t := tally{lats: make([]float64, 0, cfg.total/cfg.clients+1)}
			for range work {
				t0 := time.Now()
				err := l.stream.Send(&pb.LeaseKeepAliveRequest{ID: int64(l.id)})
				if err == nil {
					_, err = l.stream.Recv()
				}
				t.done(t0, err)
			}
			all.merge(&t)
		}(l)
	}
	wg.Wait()
	return newResult(cfg, all.lats, all.errs, all.first, time.Since(start))
}
