using System.Net.Http;

namespace KvStore.ApiServer.Tests.Http;

/// <summary>
/// A kvstore member serving the apiserver facade in-process (--apiserver-listen-url), or a standalone
/// `kvstore apiserver` over an etcd endpoint list; ready when /readyz says ok (standing objects created).
/// </summary>
internal sealed class ApiServerProcess : IDisposable
{
    private readonly ChildProcess _process;

    private ApiServerProcess(ChildProcess process, string url) => (_process, Url) = (process, url);

    public string Url { get; }

    public string Output => _process.Output;

    /// <summary>A one-member kvstore with the facade; <paramref name="dataDir"/> is kept by the caller (restarts reuse it).</summary>
    public static ApiServerProcess StartMember(string dataDir, int clientPort, int peerPort, int apiPort, params string[] extra) =>
        StartMemberAt($"http://127.0.0.1:{apiPort}", dataDir, clientPort, peerPort, null, extra);

    /// <summary>A one-member kvstore whose facade serves on <paramref name="url"/> (https: TLS, any certificate accepted
    /// while waiting), ready once /readyz answers ok to a request carrying <paramref name="credentials"/>.</summary>
    public static ApiServerProcess StartMemberAt(string url, string dataDir, int clientPort, int peerPort, ReadyCredentials? credentials, params string[] extra)
    {
        var client = $"http://127.0.0.1:{clientPort}";
        var peer = $"http://127.0.0.1:{peerPort}";
        var process = ChildProcess.KvStore(
        [
            "--data-dir", dataDir, "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=" + peer,
            "--apiserver-listen-url", url, .. extra,
        ]);
        return Ready(process, url, credentials);
    }

    /// <summary>`kvstore apiserver --etcd-servers ...` against running etcd endpoints.</summary>
    public static ApiServerProcess StartStandalone(string etcdServers, int apiPort, params string[] extra)
    {
        var url = $"http://127.0.0.1:{apiPort}";
        var process = ChildProcess.KvStore(["apiserver", "--etcd-servers", etcdServers, "--listen-url", url, .. extra]);
        return Ready(process, url, null);
    }

    /// <summary>`kvstore apiserver --etcd-servers ...` on a free port, another one when the port was taken between
    /// <see cref="Ports.Free"/> releasing it and the server binding it (other processes on the machine take ports too).</summary>
    public static ApiServerProcess StartStandalone(string etcdServers, params string[] extra)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return StartStandalone(etcdServers, Ports.Free(), extra);
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("address already in use", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>`kvstore apiserver ARGS` serving on <paramref name="url"/> (which the arguments must name).</summary>
    public static ApiServerProcess StartStandaloneAt(string url, ReadyCredentials? credentials, params string[] args) =>
        Ready(ChildProcess.KvStore(["apiserver", .. args]), url, credentials);

    /// <summary>What the readiness probe presents when anonymous requests are refused: a bearer token or a client certificate.</summary>
    public sealed record ReadyCredentials(string? Token = null, string? CertFile = null, string? KeyFile = null);

    private static ApiServerProcess Ready(ChildProcess process, string url, ReadyCredentials? credentials)
    {
        var server = new ApiServerProcess(process, url) { _credentials = credentials };
        try
        {
            server.WaitReady();
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    private ReadyCredentials? _credentials;

    public void WaitReady()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        if (_credentials is { CertFile: { } cert, KeyFile: { } key })
        {
            handler.ClientCertificates.Add(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(cert, key));
        }
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        if (_credentials?.Token is { } token) http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (http.GetAsync(Url + "/readyz").Result is { IsSuccessStatusCode: true }) return;
            }
            catch (AggregateException)
            {
            }
            if (_process.HasExited) break;
            Thread.Sleep(250);
        }
        throw new InvalidOperationException("the apiserver did not get ready:\n" + _process.Output);
    }

    public void Dispose() => _process.Dispose();
}
