// A Go clientv3 (etcd 3.4) program for the TLS tests: connects to -endpoints with the given CA, certificate and
// key (pkg/transport.TLSInfo, as etcdctl and kube-apiserver do), then puts, gets, runs a txn, grants a lease and
// watches, printing one line per step. Exit code 1 on the first failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/pkg/transport"
)

func main() {
	endpoints := flag.String("endpoints", "", "comma separated https URLs")
	ca := flag.String("cacert", "", "trusted CA file")
	cert := flag.String("cert", "", "client certificate")
	key := flag.String("key", "", "client key")
	prefix := flag.String("prefix", "go/", "key prefix")
	flag.Parse()

	tlsInfo := transport.TLSInfo{TrustedCAFile: *ca, CertFile: *cert, KeyFile: *key}
	tlsConfig, err := tlsInfo.ClientConfig()
	check("tls config", err)
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(*endpoints, ","),
		DialTimeout: 5 * time.Second,
		TLS:         tlsConfig,
	})
	check("dial", err)
	defer cli.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	watch := cli.Watch(ctx, *prefix+"watched")
	_, err = cli.Put(ctx, *prefix+"a", "1")
	check("put", err)
	get, err := cli.Get(ctx, *prefix, clientv3.WithPrefix())
	check("get", err)
	fmt.Printf("get %d %s=%s\n", get.Count, get.Kvs[0].Key, get.Kvs[0].Value)

	txn, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(*prefix+"a"), "=", "1")).
		Then(clientv3.OpPut(*prefix+"b", "2")).Else(clientv3.OpPut(*prefix+"b", "0")).Commit()
	check("txn", err)
	fmt.Printf("txn succeeded=%v\n", txn.Succeeded)

	lease, err := cli.Grant(ctx, 30)
	check("grant", err)
	_, err = cli.Put(ctx, *prefix+"leased", "x", clientv3.WithLease(lease.ID))
	check("put with lease", err)
	ttl, err := cli.TimeToLive(ctx, lease.ID, clientv3.WithAttachedKeys())
	check("time to live", err)
	fmt.Printf("lease keys=%d\n", len(ttl.Keys))

	_, err = cli.Put(ctx, *prefix+"watched", "w")
	check("put watched", err)
	for resp := range watch {
		check("watch", resp.Err())
		for _, ev := range resp.Events {
			fmt.Printf("watch %s %s=%s\n", ev.Type, ev.Kv.Key, ev.Kv.Value)
		}
		break
	}
	fmt.Println("done")
}

func check(what string, err error) {
	if err != nil {
		fmt.Printf("%s: %v\n", what, err)
		os.Exit(1)
	}
}
