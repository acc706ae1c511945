extern alias dotnetetcd;

using System.Security.Cryptography.X509Certificates;
using dotnetetcd::dotnet_etcd;

namespace KvStore.Tls.Tests;

/// <summary>
/// The clients etcd users run, over TLS with client certificates, against kvstore with --client-cert-auth:
/// dotnet-etcd (NuGet), Go's clientv3 (etcd 3.4's, a small program built here from Debian's
/// golang-etcd-server-dev) and the etcd3 npm client (grpc-js, installed with npm into a cache directory).
/// Each puts, gets, runs a txn, uses a lease and watches; etcdctl is in <see cref="ClientTlsTests"/>.
/// </summary>
public sealed class TlsClientsTests(TlsClientsTests.MemberFixture fixture) : IClassFixture<TlsClientsTests.MemberFixture>
{
    private readonly TestCertificates _certs = fixture.Certificates;
    private readonly SingleMember _member = fixture.Member;

    public sealed class MemberFixture : IDisposable
    {
        public TestCertificates Certificates { get; } = new();

        public SingleMember Member { get; }

        public MemberFixture() => Member = SingleMember.StartKvStore(Certificates.ClientFlags(clientCertAuth: true), clientScheme: "https");

        public void Dispose()
        {
            Member.Dispose();
            Certificates.Dispose();
        }
    }

    [Fact]
    public async Task Dotnet_etcd_works_over_tls_with_a_client_certificate()
    {
        X509Certificate2 client = X509Certificate2.CreateFromPemFile(_certs.Client.Cert, _certs.Client.Key);
        X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(_certs.CaFile));
        using var etcd = new EtcdClient(_member.ClientUrl, ssl =>
        {
            ssl.ClientCertificates = [client];
            ssl.CertificateChainPolicy = TrustOnly(ca);
        });
        await etcd.PutAsync("dotnet/a", "1");
        Assert.Equal("1", await etcd.GetValAsync("dotnet/a"));
        var lease = await etcd.LeaseGrantAsync(new dotnetetcd::Etcdserverpb.LeaseGrantRequest { TTL = 30 });
        await etcd.PutAsync(new dotnetetcd::Etcdserverpb.PutRequest
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8("dotnet/leased"),
            Value = Google.Protobuf.ByteString.CopyFromUtf8("x"),
            Lease = lease.ID,
        });
        var range = await etcd.GetRangeAsync("dotnet/");
        Assert.Equal(2, range.Count);

        // without a client certificate the handshake is refused
        using var anonymous = new EtcdClient(_member.ClientUrl, ssl =>
            ssl.CertificateChainPolicy = TrustOnly(ca));
        await Assert.ThrowsAnyAsync<Exception>(() => anonymous.GetValAsync("dotnet/a", deadline: DateTime.UtcNow.AddSeconds(10)));
    }

    private static X509ChainPolicy TrustOnly(X509Certificate2 ca) =>
        new() { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck };

    [Fact]
    public void Go_clientv3_works_over_tls_with_a_client_certificate()
    {
        string program = GoClient.Build();
        var (code, output, error) = ChildProcess.Run(program,
            ["-endpoints", _member.ClientUrl, "-cacert", _certs.CaFile, "-cert", _certs.Client.Cert, "-key", _certs.Client.Key, "-prefix", "go/"],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output + error);
        Assert.Contains("get 1 go/a=1", output);
        Assert.Contains("txn succeeded=true", output);
        Assert.Contains("lease keys=1", output);
        Assert.Contains("watch PUT go/watched=w", output);
        Assert.Contains("done", output);

        var refused = ChildProcess.Run(program, ["-endpoints", _member.ClientUrl, "-cacert", _certs.CaFile], timeout: TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, refused.Code);
    }

    [Fact]
    public void The_etcd3_npm_client_works_over_tls_with_a_client_certificate()
    {
        string script = NodeClient.Install();
        var (code, output, error) = ChildProcess.Run("node",
            [script, _member.ClientUrl, _certs.CaFile, _certs.Client.Cert, _certs.Client.Key, "node/"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(code == 0, output + error);
        Assert.Contains("get 1 node/a=1", output);
        Assert.Contains("txn succeeded=true", output);
        Assert.Contains("leased x id=true", output);
        Assert.Contains("watch PUT node/watched=w", output);
        Assert.Contains("done", output);

        var other = ChildProcess.Run("node",
            [script, _member.ClientUrl, _certs.CaFile, _certs.OtherCaClient.Cert, _certs.OtherCaClient.Key, "node2/"], timeout: TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, other.Code);
    }
}
