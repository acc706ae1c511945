namespace KvStore.ApiServer.Tests.Http;

/// <summary>An apiserver facade for a test class, and the etcd v3 endpoint of the store under it.</summary>
public interface IApiServerFixture
{
    string Url { get; }

    string ClientUrl { get; }
}

/// <summary>One kvstore member with the facade for a test class (each test uses its own namespace).</summary>
public sealed class MemberFixture : IApiServerFixture, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("apiserver-member-").FullName;
    private readonly ApiServerProcess _server;

    public MemberFixture()
    {
        ClientUrl = $"http://127.0.0.1:{Ports.Free()}";
        _server = ApiServerProcess.StartMember(Path.Combine(_dir, "data"), new Uri(ClientUrl).Port, Ports.Free(), Ports.Free(),
            "--service-cluster-ip-range", "10.96.0.0/24");
    }

    public string Url => _server.Url;

    /// <summary>The member's etcd client URL (for etcdctl).</summary>
    public string ClientUrl { get; }

    public string Output => _server.Output;

    public void Dispose()
    {
        _server.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
