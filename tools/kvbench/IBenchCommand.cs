namespace KvStore.KvBench;

/// <summary>One kvbench subcommand, modelled on a command of etcd's tools/benchmark.</summary>
internal interface IBenchCommand
{
    string Name { get; }

    string Usage { get; }

    string Summary { get; }

    IReadOnlyList<FlagSpec> Flags { get; }

    /// <summary>Validates the command's flags and arguments before anything connects; throws <see cref="UsageException"/>.</summary>
    IBenchmark Parse(ParsedFlags flags);
}

/// <summary>A validated workload, ready to run against open connections.</summary>
internal interface IBenchmark
{
    /// <summary>The workload in words, printed with the result.</summary>
    string Setting { get; }

    Task<RunResult> RunAsync(BenchContext context, CancellationToken ct);
}

/// <summary>What every command gets: the global flags and the open connections.</summary>
internal sealed class BenchContext(IReadOnlyList<Uri> endpoints, int clients, Connections connections)
{
    public IReadOnlyList<Uri> Endpoints { get; } = endpoints;

    /// <summary>Concurrent requests in flight: one per client.</summary>
    public int Clients { get; } = clients;

    public Connections Connections { get; } = connections;

    public static void ExpectPositional(ParsedFlags flags, int count)
    {
        if (flags.Positional.Count != count)
        {
            throw new UsageException($"unexpected argument: {string.Join(' ', flags.Positional)}");
        }
    }

    /// <summary>Deterministic filler bytes for values (etcd uses random ones; content does not matter to a store).</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
