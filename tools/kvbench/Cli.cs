using KvStore.KvBench.Commands;

namespace KvStore.KvBench;

/// <summary>kvbench's entry point: global flags (anywhere on the line), then one command and its flags.</summary>
internal static class Cli
{
    private static readonly IReadOnlyList<FlagSpec> GlobalFlags =
    [
        new("endpoints", "http://127.0.0.1:2379", "gRPC endpoints, comma separated (http://host:port; h2c)"),
        new("clients", "1", "Total number of gRPC clients (requests in flight)"),
        new("conns", "1", "Total number of gRPC connections (channels), shared round-robin by the clients"),
        new("output", "text", "Output format: text or json"),
        new("help", "false", "Show help", IsBool: true),
    ];

    private static readonly IReadOnlyList<IBenchCommand> Commands =
        [new PutCommand(), new RangeCommand(), new TxnPutCommand(), new WatchLatencyCommand()];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var commandIndex = Array.FindIndex(args, a => Commands.Any(c => c.Name == a));
        var command = commandIndex >= 0 ? Commands.First(c => c.Name == args[commandIndex]) : null;
        var rest = commandIndex >= 0 ? args.Where((_, i) => i != commandIndex).ToArray() : args;
        try
        {
            var flags = ParsedFlags.Parse(command is null ? GlobalFlags : [.. GlobalFlags, .. command.Flags], rest);
            if (flags.Bool("help"))
            {
                WriteUsage(output, command);
                return 0;
            }

            if (command is null)
            {
                throw new UsageException(flags.Positional.Count > 0 ? $"unknown command \"{flags.Positional[0]}\"" : "no command given");
            }

            var format = flags.String("output");
            if (format is not ("text" or "json"))
            {
                throw new UsageException($"--output must be text or json, got \"{format}\"");
            }

            var endpoints = Connections.ParseEndpoints(flags.String("endpoints"));
            var clients = flags.Int("clients", 1);
            var conns = flags.Int("conns", 1);
            var benchmark = command.Parse(flags);
            using var connections = Connections.Open(endpoints, conns);
            var context = new BenchContext(endpoints, clients, connections);

            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                await WarmUpAsync(connections, interrupt.Token).ConfigureAwait(false);
                var result = await benchmark.RunAsync(context, interrupt.Token).ConfigureAwait(false);
                var setting = $"{string.Join(',', endpoints.Select(u => $"{u.Scheme}://{u.Authority}"))}, {clients} clients, {connections.Count} conns; {benchmark.Setting}";
                Report.Write(output, result, format, setting);
                return result.Failed > 0 || result.Interrupted ? 1 : 0;
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"kvbench: {e.Message}").ConfigureAwait(false);
            WriteUsage(error, command);
            return 2;
        }
        catch (Grpc.Core.RpcException e)
        {
            await error.WriteLineAsync($"kvbench: {e.Status.StatusCode}: {e.Status.Detail}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>Opens every connection before the clock starts: one serializable range of an unused key each.</summary>
    private static async Task WarmUpAsync(Connections connections, CancellationToken ct)
    {
        var request = new Etcdserverpb.RangeRequest
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8("kvbench-warm-up"), Serializable = true, CountOnly = true,
        };
        await Task.WhenAll(connections.All.Select(channel =>
            new Etcdserverpb.KV.KVClient(channel).RangeAsync(request, cancellationToken: ct).ResponseAsync)).ConfigureAwait(false);
    }

    private static void WriteUsage(TextWriter o, IBenchCommand? command)
    {
        if (command is null)
        {
            o.WriteLine("kvbench: a load generator for etcd v3 gRPC endpoints (after etcd's tools/benchmark)");
            o.WriteLine();
            o.WriteLine("Usage: kvbench COMMAND [flags]");
            o.WriteLine();
            o.WriteLine("Commands:");
            foreach (var c in Commands)
            {
                o.WriteLine($"  {c.Usage,-40}{c.Summary}");
            }
        }
        else
        {
            o.WriteLine($"Usage: kvbench {command.Usage}");
            o.WriteLine();
            o.WriteLine("Flags:");
            WriteFlags(o, command.Flags);
        }

        o.WriteLine();
        o.WriteLine("Global flags:");
        WriteFlags(o, GlobalFlags);
    }

    private static void WriteFlags(TextWriter o, IEnumerable<FlagSpec> flags)
    {
        foreach (var f in flags)
        {
            var left = f.IsBool ? $"--{f.Name}" : $"--{f.Name} {f.Default}";
            o.WriteLine($"  {left,-40}{f.Help}");
        }
    }
}
