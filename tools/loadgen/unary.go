package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

// runUnary sends total requests from cfg.clients concurrent clients, each its next request when the last answered;
// client w uses connection w mod conns.
func runUnary(cfg config, cs []*clientv3.Client) result {
	if cfg.mode != "put" && cfg.mode != "txn" {
		cs[0].Put(context.Background(), cfg.key(0), cfg.val) // the key the gets read
	}
	var all totals
	work := make(chan int, cfg.total)
	start := time.Now()
	if cfg.rate > 0 {
		// Request i is let go at start + i/rate (a client free by then takes it), so the rate holds while answers are fast.
		go func() {
			for i := 0; i < cfg.total; i++ {
				time.Sleep(time.Until(start.Add(time.Duration(float64(i) / cfg.rate * float64(time.Second)))))
				work <- i
			}
			close(work)
		}()
	} else {
		for i := 0; i < cfg.total; i++ {
			work <- i
		}
		close(work)
	}
	var wg sync.WaitGroup
	for w := 0; w < cfg.clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := cs[w%len(cs)]
			r := rand.New(rand.NewSource(int64(w)))
			t := tally{lats: make([]float64, 0, cfg.total/cfg.clients+1)}
			for i := range work {
				k := i % cfg.keySpace
				if !cfg.seq {
					k = r.Intn(cfg.keySpace)
				}
				t0 := time.Now()
				err := request(cfg, c, r, k)
				if took := time.Since(t0); cfg.slowMs > 0 && err == nil && ms(took) >= cfg.slowMs {
					fmt.Fprintf(os.Stderr, "slow: sent %s, took %.1f ms\n", t0.UTC().Format("15:04:05.000"), ms(took))
				}
				t.done(t0, err)
			}
			all.merge(&t)
		}(w)
	}
	wg.Wait()
	return newResult(cfg, all.lats, all.errs, all.first, time.Since(start))
}

// request is one request of the mode; mixed picks 40% linearizable get, 40% put, 20% compare-and-put.
func request(cfg config, c *clientv3.Client, r *rand.Rand, k int) error {
	mode := cfg.mode
	if mode == "mixed" {
		switch p := r.Intn(10); {
		case p < 4:
			mode = "range"
		case p < 8:
			mode = "put"
		default:
			mode = "txn"
		}
	}
	ctx := context.Background()
	var err error
	switch mode {
	case "put":
		_, err = c.Put(ctx, cfg.key(k), cfg.val)
	case "range":
		_, err = c.Get(ctx, cfg.key(0))
	case "range-s":
		_, err = c.Get(ctx, cfg.key(0), clientv3.WithSerializable())
	case "txn":
		key := cfg.key(k)
		_, err = c.Txn(ctx).If(clientv3.Compare(clientv3.Version(key), "<", 1<<40)).Then(clientv3.OpPut(key, cfg.val)).Commit()
	}
	return err
}
