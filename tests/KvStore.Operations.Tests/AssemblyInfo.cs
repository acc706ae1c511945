// Each test starts etcd and kvstore processes side by side: one class at a time keeps this project's load on a
// shared two-core machine to two or three servers.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
