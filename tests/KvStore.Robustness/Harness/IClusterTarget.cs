namespace KvStore.Robustness.Harness;

/// <summary>
/// The cluster a run drives: N real members (kvstore or etcd) on loopback ports that the fault runner can kill,
/// restart from their data dirs, pause and resume. Member indexes are stable for the whole run.
/// </summary>
public interface IClusterTarget : IAsyncDisposable
{
    /// <summary>"kvstore" or "etcd".</summary>
    string Name { get; }

    int Size { get; }

    int ElectionTimeoutMs { get; }

    IReadOnlyList<string> MemberNames { get; }

    /// <summary>Each member's client URL (http://127.0.0.1:port).</summary>
    IReadOnlyList<string> ClientUrls { get; }

    bool IsRunning(int member);

    bool IsPaused(int member);

    /// <summary>SIGKILL; the data dir stays.</summary>
    void Kill(int member);

    /// <summary>Starts a killed member again on its data dir and waits until it serves.</summary>
    Task RestartAsync(int member);

    /// <summary>SIGSTOP: the process freezes with its sockets open.</summary>
    void Pause(int member);

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    void Resume(int member);

    /// <summary>The last log lines of every member, for a failure message.</summary>
    string Logs(int lines = 20);
}
