namespace KvStore.TestSupport;

/// <summary>Process and network faults on one member; partitions and delays need <see cref="KvStoreClusterOptions.ProxyPeers"/>.</summary>
public sealed partial class KvStoreCluster
{
    /// <summary>SIGSTOP: the process freezes (a long GC pause, a stuck VM) but keeps its sockets open.</summary>
    public void Pause(int i)
    {
        Process(i).Signal(ChildProcess.SigStop);
        _paused[i] = true;
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume(int i)
    {
        Process(i).Signal(ChildProcess.SigCont);
        _paused[i] = false;
    }

    /// <summary>Cuts member <paramref name="i"/>'s Raft links to every other member, both directions (clients still reach it).</summary>
    public void Partition(int i) => RequireProxy().Cut(Names[i]);

    /// <summary>Cuts the Raft links between members <paramref name="i"/> and <paramref name="j"/> only, both directions.</summary>
    public void Partition(int i, int j) => RequireProxy().Cut(Names[i], Names[j]);

    /// <summary>Splits the members into <paramref name="side"/> and the rest: no Raft link crosses the cut.</summary>
    public void Partition(IReadOnlyCollection<int> side) =>
        RequireProxy().Cut(side.Select(i => Names[i]), Names.Where((_, i) => !side.Contains(i)));

    /// <summary>Ends every cut that involves member <paramref name="i"/>.</summary>
    public void Heal(int i) => RequireProxy().Heal(Names[i]);

    /// <summary>Ends every cut.</summary>
    public void HealAll() => RequireProxy().Heal();

    /// <summary>Holds Raft traffic to and from member <paramref name="i"/> for <paramref name="ms"/> milliseconds each way; 0 removes it.</summary>
    public void Delay(int i, int ms) => RequireProxy().Delay(Names[i], ms);

    /// <summary>
    /// Arms failpoint <paramref name="name"/> with <paramref name="term"/> ("off" disarms) on member <paramref name="i"/>, a kvstore
    /// started with KVSTORE_FAILPOINTS=1 in <see cref="KvStoreClusterOptions.Environment"/> (PUT /debug/failpoints/NAME).
    /// </summary>
    /// <remarks>A member armed with "panic" may die before it answers: then this returns without an answer.</remarks>
    public Task SetFailpointAsync(int i, string name, string term) => FailpointClient.SetAsync(ClientUrls[i], Names[i], name, term);

    /// <summary>Waits until member <paramref name="i"/>'s process has exited by itself; false when it still runs at <paramref name="timeout"/>.</summary>
    public bool WaitForExit(int i, TimeSpan timeout) => _processes[i]?.WaitForExit(timeout) ?? true;

    private PeerProxy RequireProxy() =>
        _proxy ?? throw new InvalidOperationException("partitions and delays need KvStoreClusterOptions.ProxyPeers");
}
