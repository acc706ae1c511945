namespace KvStore.KvBench.Tests;

/// <summary>A real single-member etcd 3.4 for the test class; killed on dispose.</summary>
public sealed class EtcdFixture : IDisposable
{
    private readonly SingleMember _etcd = SingleMember.StartEtcd();

    /// <summary>http://127.0.0.1:port</summary>
    public string Endpoint => _etcd.ClientUrl;

    public void Dispose() => _etcd.Dispose();
}
