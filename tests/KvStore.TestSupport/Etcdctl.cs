namespace KvStore.TestSupport;

/// <summary>The real etcdctl 3.4 (apt etcd-client) with the v3 API; a test using it fails when it is not installed.</summary>
public static class Etcdctl
{
    public sealed record Result(int Exit, string Out, string Err)
    {
        public override string ToString() => $"exit {Exit}\n{Out}\n[stderr] {Err}";
    }

    /// <summary>etcdctl --endpoints=<paramref name="endpoints"/> args..., to its end (killed after <paramref name="timeout"/>, 90 s by default).</summary>
    public static Result Run(string endpoints, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        (int code, string output, string error) = ChildProcess.Run("etcdctl", ["--endpoints=" + endpoints, .. args], stdin,
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout);
        return new Result(code, output, error);
    }

    public static Task<Result> RunAsync(string endpoints, params string[] args) => Task.Run(() => Run(endpoints, args));
}
