package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// result is one run: latencies of the successful requests (ms) and the failures.
type result struct {
	Mode       string  `json:"mode"`
	Clients    int     `json:"clients"`
	Conns      int     `json:"conns"`
	Ok         int     `json:"ok"`
	Errors     int     `json:"errors"`
	Secs       float64 `json:"secs"`
	Qps        float64 `json:"qps"`
	AvgMs      float64 `json:"avg_ms"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	P999Ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

// newResult sorts lats (ms) and fills the percentiles (nearest rank below) and the rate of successes per second.
func newResult(c config, lats []float64, errs int, firstErr error, elapsed time.Duration) result {
	sort.Float64s(lats)
	pct := func(p float64) float64 {
		if len(lats) == 0 {
			return 0
		}
		return lats[int(float64(len(lats)-1)*p)]
	}
	sum := 0.0
	for _, l := range lats {
		sum += l
	}
	r := result{Mode: c.mode, Clients: c.clients, Ok: len(lats), Errors: errs, Secs: elapsed.Seconds(),
		P50Ms: pct(0.5), P99Ms: pct(0.99), P999Ms: pct(0.999), MaxMs: pct(1)}
	if len(lats) > 0 {
		r.AvgMs = sum / float64(len(lats))
	}
	if r.Secs > 0 {
		r.Qps = float64(len(lats)) / r.Secs
	}
	if firstErr != nil {
		r.FirstError = firstErr.Error()
	}
	return r
}

func (r result) print(asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
		return
	}
	fmt.Fprintf(os.Stdout, "mode=%s clients=%d conns=%d ok=%d errors=%d secs=%.2f qps=%.0f avg_ms=%.2f p50_ms=%.2f p99_ms=%.2f p99.9_ms=%.2f max_ms=%.2f\n",
		r.Mode, r.Clients, r.Conns, r.Ok, r.Errors, r.Secs, r.Qps, r.AvgMs, r.P50Ms, r.P99Ms, r.P999Ms, r.MaxMs)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000.0 }

// tally is one client goroutine's latencies and errors; totals merges the tallies of a run's goroutines.
type tally struct {
	lats  []float64
	errs  int
	first error
}

// done records a request started at t0 that ended with err.
func (t *tally) done(t0 time.Time, err error) {
	if err != nil {
		t.errs++
		if t.first == nil {
			t.first = err
		}
		return
	}
	t.lats = append(t.lats, ms(time.Since(t0)))
}

// totals is a run's tally, shared by its goroutines.
type totals struct {
	mu sync.Mutex
	tally
}

func (s *totals) merge(t *tally) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lats = append(s.lats, t.lats...)
	s.errs += t.errs
	if s.first == nil {
		s.first = t.first
	}
}
