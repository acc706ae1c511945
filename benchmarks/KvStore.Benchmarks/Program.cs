using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/KvStore.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/KvStore.Benchmarks -- propose [total] [clients] [rounds]
if (args.Length > 0 && args[0] == "propose") return await KvStore.Benchmarks.ProposeBench.RunAsync(args);
BenchmarkSwitcher.FromAssembly(typeof(KvStore.Benchmarks.BenchStore).Assembly).Run(args);
return 0;
