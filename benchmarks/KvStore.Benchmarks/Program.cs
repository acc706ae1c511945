using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/KvStore.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(KvStore.Benchmarks.BenchStore).Assembly).Run(args);
