namespace KvStore.Host.Tests;

/// <summary>etcdctl 3.4 (TestSupport's runner) that must succeed: stdout and stderr together.</summary>
internal static class EtcdctlOk
{
    public static async Task<string> RunAsync(string endpoint, params string[] args)
    {
        var (exit, output, error) = await Etcdctl.RunAsync(endpoint, args);
        Assert.True(exit == 0, $"etcdctl {string.Join(' ', args)} exited {exit}: {error}");
        return output + error;
    }
}
