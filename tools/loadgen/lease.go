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
	var mu sync.Mutex
	lats := make([]float64, 0, cfg.total)
	errs := 0
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func(l client) {
			defer wg.Done()
			local := make([]float64, 0, cfg.total/cfg.clients+1)
			lerr := 0
			var lfirst error
			for range work {
				t0 := time.Now()
				err := l.stream.Send(&pb.LeaseKeepAliveRequest{ID: int64(l.id)})
				if err == nil {
					_, err = l.stream.Recv()
				}
				if err != nil {
					lerr++
					if lfirst == nil {
						lfirst = err
					}
					continue
				}
				local = append(local, ms(time.Since(t0)))
			}
			mu.Lock()
			lats = append(lats, local...)
			errs += lerr
			if firstErr == nil {
				firstErr = lfirst
			}
			mu.Unlock()
		}(l)
	}
	wg.Wait()
	return newResult(cfg, lats, errs, firstErr, time.Since(start))
}
