namespace KvStore.Robustness.Harness;

/// <summary>One robustness run: which cluster, how long, which seed, which traffic and which faults.</summary>
public sealed record RunOptions
{
    /// <summary>"kvstore" or "etcd".</summary>
    public string Target { get; init; } = "kvstore";

    public int Members { get; init; } = 3;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public long Seed { get; init; } = 1;

    /// <summary>"etcd" or "kube".</summary>
    public string Traffic { get; init; } = "etcd";

    /// <summary>Fault kinds (<see cref="FaultKinds"/>); none: a run without faults.</summary>
    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>Sequential traffic clients, spread over the members.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>Flags every member gets besides the harness's own (e.g. <c>--log-level debug</c> to see where recovery time goes).</summary>
    public IReadOnlyList<string> MemberFlags { get; init; } = [];

    /// <summary>Per-request deadline; a write that passes it is recorded as unknown.</summary>
    public TimeSpan RequestDeadline { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The scenario name saved in the history: traffic and faults.</summary>
    public string Scenario => $"{Traffic}/{(Faults.Count == 0 ? "no-faults" : string.Join('+', Faults))}";

    /// <summary>Throws <see cref="ArgumentException"/> with what is wrong.</summary>
    public RunOptions Validated()
    {
        if (Target is not ("kvstore" or "etcd")) throw new ArgumentException($"unknown target \"{Target}\" (kvstore or etcd)");
        if (Traffic is not ("etcd" or "kube")) throw new ArgumentException($"unknown traffic \"{Traffic}\" (etcd or kube)");
        if (Members < 3) throw new ArgumentException($"--members {Members}: faults need a quorum without one member, so at least 3");
        if (Clients < 1) throw new ArgumentException($"--clients {Clients}: at least 1");
        return this;
    }
}
