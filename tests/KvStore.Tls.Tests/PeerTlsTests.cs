using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Tls.Tests;

/// <summary>
/// Three kvstore processes with client and peer TLS (--peer-client-cert-auth, --peer-cert-allowed-cn peer): every
/// member serves writes and reads, the cluster survives its leader, and nothing without a peer certificate the
/// members accept - no certificate, a client certificate of the same CA (CN outside the allowed one), one of
/// another CA, a self-signed one - can call the member-internal service or take part in Raft.
/// </summary>
public sealed class PeerTlsTests(PeerTlsTests.ClusterFixture fixture) : IClassFixture<PeerTlsTests.ClusterFixture>
{
    private readonly TestCertificates _certs = fixture.Certificates;
    private readonly KvStoreCluster _cluster = fixture.Cluster;

    public sealed class ClusterFixture : IDisposable
    {
        public TestCertificates Certificates { get; } = new();

        public KvStoreCluster Cluster { get; }

        public ClusterFixture() =>
            Cluster = KvStoreCluster.Start(3, [.. Certificates.ClientFlags(clientCertAuth: true), .. Certificates.PeerFlags(allowedCn: "peer")], "https", "https");

        public void Dispose()
        {
            Cluster.Dispose();
            Certificates.Dispose();
        }
    }

    [Fact]
    public void Every_member_serves_and_the_cluster_survives_its_leader()
    {
        for (int i = 0; i < 3; i++)
        {
            var put = Ctl(_cluster.ClientUrls[i], "put", "via/" + _cluster.Names[i], "v" + i);
            Assert.True(put.Exit == 0, put.Err);
        }
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(3, Ctl(_cluster.ClientUrls[i], "get", "via/", "--prefix", "--keys-only").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        var members = Ctl(_cluster.ClientUrls[1], "member", "list");
        Assert.Equal(3, members.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains("https://127.0.0.1:", StringComparison.Ordinal)));

        // leases through a follower (its keep-alive goes to the leader's peer port)
        int leader = Leader();
        int follower = (leader + 1) % 3;
        var grant = Ctl(_cluster.ClientUrls[follower], "lease", "grant", "60");
        string lease = grant.Out.Split(' ')[1];
        Assert.Contains("keepalived with TTL(60)", Ctl(_cluster.ClientUrls[follower], "lease", "keep-alive", "--once", lease).Out);

        // leadership moves over the peer port (the others stand by), then the leader dies
        string target = Status(_cluster.ClientUrls[follower]).GetProperty("header").GetProperty("member_id").GetUInt64().ToString("x");
        var move = Ctl(_cluster.ClientUrls[leader], "move-leader", target);
        Assert.True(move.Exit == 0, move.Err);
        leader = Leader();
        Assert.Equal(follower, leader);
        _cluster.Kill(leader);
        string[] alive = Enumerable.Range(0, 3).Where(i => i != leader).Select(i => _cluster.ClientUrls[i]).ToArray();
        var afterKill = Ctl(string.Join(",", alive), "put", "after-failover", "yes");
        Assert.True(afterKill.Exit == 0, afterKill.Err);
        _cluster.Restart(leader);
        var caughtUp = Ctl(_cluster.ClientUrls[leader], "get", "after-failover", "--print-value-only");
        Assert.Equal("yes", caughtUp.Out.Trim());
    }

    [Fact]
    public async Task Without_a_peer_certificate_the_members_accept_nothing_reaches_the_peer_port()
    {
        int leader = Leader();
        int follower = (leader + 1) % 3;
        JsonElement status = Status(_cluster.ClientUrls[follower]);
        ulong clusterId = status.GetProperty("header").GetProperty("cluster_id").GetUInt64();
        ulong memberId = status.GetProperty("header").GetProperty("member_id").GetUInt64();
        long term = status.GetProperty("raftTerm").GetInt64();
        // The internal service on the leader's peer port, asked as if by a follower (the ids are public).
        var headers = new Metadata { { "kvstore-cluster-id", clusterId.ToString("x16") }, { "kvstore-member-id", memberId.ToString("x16") } };
        string peer = _cluster.PeerUrls[leader];

        // the control: a member's own peer certificate gets an answer
        Kvstorepb.ReadIndexResponse answer = await ReadIndexAsync(peer, _certs.Peer, headers);
        Assert.True(answer.Index > 0);

        string selfSignedDir = Path.Combine(_certs.Directory, "self-signed");
        var selfSigned = KvStore.Server.Transport.SelfCert.Create(selfSignedDir, ["127.0.0.1"], 1, []);
        foreach (var (who, cert) in new (string, (string, string)?)[]
        {
            ("no certificate", null),
            ("a client certificate of the same CA (CN root)", _certs.Client),
            ("the server certificate (CN server)", _certs.Server),
            ("a certificate of another CA", _certs.OtherCaClient),
            ("a self-signed certificate", (selfSigned.CertFile, selfSigned.KeyFile)),
        })
        {
            // no answer at all: the connection fails (during the handshake, or right after it under TLS 1.3, where
            // the client finishes first and the server then refuses its certificate)
            var refused = await Assert.ThrowsAsync<RpcException>(() => ReadIndexAsync(peer, cert, headers));
            Assert.True(refused.Status.DebugException is HttpRequestException, $"{who}: {refused.Status}");
        }

        // The client port does not serve the internal service at all.
        var notHere = await Assert.ThrowsAsync<RpcException>(() => ReadIndexAsync(_cluster.ClientUrls[leader], _certs.Client, headers));
        Assert.Equal(StatusCode.Unimplemented, notHere.StatusCode);

        // Intruder members (self-signed peer certificate; a client certificate of the CA) campaign in their own
        // cluster of the three and themselves: no member takes a vote or an entry from them.
        var intruders = new List<ChildProcess>();
        string dir = Path.Combine(_certs.Directory, "intruders");
        try
        {
            foreach (var (name, flags) in new (string, string[])[]
            {
                ("evil1", ["--peer-auto-tls"]),
                ("evil2", ["--peer-cert-file", _certs.Client.Cert, "--peer-key-file", _certs.Client.Key, "--peer-trusted-ca-file", _certs.CaFile]),
            })
            {
                string url = $"https://127.0.0.1:{Ports.Free()}";
                string client = $"http://127.0.0.1:{Ports.Free()}";
                intruders.Add(ChildProcess.KvStore(
                [
                    "--name", name, "--data-dir", Path.Combine(dir, name), "--election-timeout", "300", "--heartbeat-interval", "50",
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", url, "--initial-advertise-peer-urls", url,
                    "--initial-cluster", $"{_cluster.InitialCluster},{name}={url}", "--initial-cluster-token", "tls-tests", .. flags,
                ]));
            }
            await Task.Delay(TimeSpan.FromSeconds(5));
            foreach (ChildProcess intruder in intruders)
            {
                Assert.DoesNotContain(SingleMember.ReadyLine, intruder.Output);
            }
            for (int i = 0; i < 3; i++)
            {
                JsonElement now = Status(_cluster.ClientUrls[i]);
                Assert.Equal(term, now.GetProperty("raftTerm").GetInt64());
            }
            Assert.Equal(3, Ctl(_cluster.ClientUrls[0], "member", "list").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        finally
        {
            foreach (ChildProcess intruder in intruders) intruder.Dispose();
        }
    }

    private async Task<Kvstorepb.ReadIndexResponse> ReadIndexAsync(string url, (string Cert, string Key)? client, Metadata headers)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                    CustomTrustStore = { X509Certificate2.CreateFromPem(File.ReadAllText(_certs.CaFile)) },
                },
            },
        };
        if (client is { } c) handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(c.Cert, c.Key)];
        using var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions { HttpHandler = handler });
        return await new Kvstorepb.Forward.ForwardClient(channel).ReadIndexAsync(new Kvstorepb.ReadIndexRequest(), headers, DateTime.UtcNow.AddSeconds(10));
    }

    private (int Exit, string Out, string Err) Ctl(string endpoints, params string[] args) => Tls.Ctl(endpoints, [.. _certs.EtcdctlFlags(), .. args]);

    private JsonElement Status(string endpoint)
    {
        var r = Ctl(endpoint, "endpoint", "status", "-w", "json");
        Assert.True(r.Exit == 0, r.Err);
        return JsonDocument.Parse(r.Out).RootElement[0].GetProperty("Status");
    }

    /// <summary>The index of the member every running member names as leader (waits up to 30 s).</summary>
    private int Leader()
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            for (int i = 0; i < 3; i++)
            {
                if (!_cluster.IsRunning(i)) continue;
                var r = Ctl(_cluster.ClientUrls[i], "endpoint", "status", "-w", "json");
                if (r.Exit != 0) continue;
                JsonElement s = JsonDocument.Parse(r.Out).RootElement[0].GetProperty("Status");
                // etcdctl leaves "leader" out while it is 0 (no leader known yet)
                if (s.TryGetProperty("leader", out JsonElement l) && l.GetUInt64() == s.GetProperty("header").GetProperty("member_id").GetUInt64()) return i;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no leader");
            Thread.Sleep(300);
        }
    }
}
