namespace KvStore.Tls.Tests;

/// <summary>What the TLS tests share: etcdctl over TLS with short timeouts, and one check run on etcd and kvstore.</summary>
internal static class Tls
{
    public static readonly string[] Servers = ["etcd", "kvstore"];

    /// <summary>
    /// etcdctl against <paramref name="endpoint"/> with <paramref name="args"/> (TLS flags included); a refused
    /// handshake fails within the 2 s dial timeout, a slow command within 10 s.
    /// </summary>
    public static (int Exit, string Out, string Err) Ctl(string endpoint, params string[] args) =>
        Etcdctl.Run(endpoint, ["--dial-timeout=2s", "--command-timeout=10s", .. args], timeout: TimeSpan.FromSeconds(60));

    /// <summary><see cref="Ctl"/> run in <paramref name="directory"/> (a relative unix:// endpoint names a socket there).</summary>
    public static (int Exit, string Out, string Err) CtlIn(string directory, string endpoint, params string[] args) =>
        ChildProcess.Run("etcdctl", ["--endpoints=" + endpoint, "--dial-timeout=2s", "--command-timeout=10s", .. args],
            environment: new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, timeout: TimeSpan.FromSeconds(60), workingDirectory: directory);

    /// <summary>Starts etcd and kvstore with the same flags (in parallel) and returns both once they serve.</summary>
    public static async Task<SingleMember[]> StartBothAsync(string[] flags, string clientScheme = "https", string peerScheme = "http")
    {
        Task<SingleMember>[] starting = Servers.Select(name => Task.Run(() => SingleMember.Start(name, flags, clientScheme, peerScheme))).ToArray();
        try
        {
            return await Task.WhenAll(starting);
        }
        catch
        {
            foreach (Task<SingleMember> t in starting.Where(t => t.IsCompletedSuccessfully)) t.Result.Dispose();
            throw;
        }
    }

    /// <summary>The process's output with kvstore's JSON escaping of quotes undone, to find etcd's messages in either.</summary>
    public static string Plain(string output) => output.Replace("\\u0022", "\"", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal);
}
