package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

// watchKey is the one key every watcher watches and every put writes.
const watchKey = "loadgen-watch"

// runWatch is the fan-out: cfg.watchers watchers of one key (watcher i on connection i mod conns; clientv3 shares
// one watch stream per connection), then cfg.total puts from cfg.clients putters. A sample is one event at one
// watcher, from the put's send to the event's arrival; the rate is events delivered per second, from the first
// put to the last event. An event that has not arrived 30 s after the last put is an error.
func runWatch(cfg config, cs []*clientv3.Client) result {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	chans := make([]clientv3.WatchChan, cfg.watchers)
	for i := range chans {
		chans[i] = cs[i%len(cs)].Watch(ctx, watchKey, clientv3.WithCreatedNotify())
	}
	for i, ch := range chans {
		if resp, ok := <-ch; !ok || resp.Err() != nil || !resp.Created {
			return newResult(cfg, nil, cfg.watchers*cfg.total, fmt.Errorf("watcher %d not created: %v", i, resp.Err()), 0)
		}
	}
	sent := make([]int64, cfg.total) // unix ns of put i's send, read by the watchers
	var mu sync.Mutex
	lats := make([]float64, 0, cfg.watchers*cfg.total)
	var lastEvent int64
	var wg sync.WaitGroup
	for _, ch := range chans {
		wg.Add(1)
		go func(ch clientv3.WatchChan) {
			defer wg.Done()
			local := make([]float64, 0, cfg.total)
			for resp := range ch {
				now := time.Now().UnixNano()
				for _, ev := range resp.Events {
					i, _ := strconv.Atoi(strings.SplitN(string(ev.Kv.Value), "|", 2)[0])
					local = append(local, ms(time.Duration(now-atomic.LoadInt64(&sent[i]))))
				}
				if len(local) >= cfg.total {
					break
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			if t := time.Now().UnixNano(); t > lastEvent {
				lastEvent = t
			}
			mu.Unlock()
		}(ch)
	}
	start := time.Now()
	putErrs, firstErr := putAll(cfg, cs, sent)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		if firstErr == nil {
			firstErr = errors.New("events missing 30 s after the last put")
		}
	}
	missing := cfg.watchers*cfg.total - len(lats) // a failed put has no event either
	elapsed := time.Duration(lastEvent - start.UnixNano())
	if len(lats) == 0 {
		elapsed = time.Since(start)
	}
	return newResult(cfg, lats, putErrs+missing, firstErr, elapsed)
}

// putAll writes watchKey cfg.total times from cfg.clients putters, the put's number before a '|' in its value and
// its send time in sent; it returns the failed puts and the first error.
func putAll(cfg config, cs []*clientv3.Client, sent []int64) (int, error) {
	work := make(chan int, cfg.total)
	for i := 0; i < cfg.total; i++ {
		work <- i
	}
	close(work)
	var mu sync.Mutex
	errs := 0
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < cfg.clients; w++ {
		wg.Add(1)
		go func(c *clientv3.Client) {
			defer wg.Done()
			for i := range work {
				atomic.StoreInt64(&sent[i], time.Now().UnixNano())
				if _, err := c.Put(context.Background(), watchKey, strconv.Itoa(i)+"|"+cfg.val); err != nil {
					mu.Lock()
					errs++
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}(cs[w%len(cs)])
	}
	wg.Wait()
	return errs, firstErr
}
