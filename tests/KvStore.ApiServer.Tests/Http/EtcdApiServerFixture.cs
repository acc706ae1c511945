namespace KvStore.ApiServer.Tests.Http;

/// <summary>Real etcd 3.4 with the standalone facade (`kvstore apiserver --etcd-servers ...`) over it, for a test class.</summary>
public sealed class EtcdApiServerFixture : IApiServerFixture, IDisposable
{
    private readonly SingleMember _etcd = SingleMember.StartEtcd();
    private readonly ApiServerProcess _server;

    public EtcdApiServerFixture()
    {
        try
        {
            _server = ApiServerProcess.StartStandalone(_etcd.ClientUrl, "--service-cluster-ip-range", "10.96.0.0/24");
        }
        catch
        {
            _etcd.Dispose();
            throw;
        }
    }

    public string Url => _server.Url;

    public string ClientUrl => _etcd.ClientUrl;

    public void Dispose()
    {
        _server.Dispose();
        _etcd.Dispose();
    }
}
