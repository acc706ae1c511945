using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Grpc.Embedded;

/// <summary>
/// A kvstore member started inside your program (etcd's embed package), with etcd v3 clients that call its
/// services directly — no socket (etcd's v3client). Dispose it to stop the member; it checkpoints on the way.
/// </summary>
public sealed class EmbeddedMember : IAsyncDisposable
{
    private EmbeddedMember(EtcdServer server)
    {
        Server = server;
        var ids = new LeaseIdGenerator(server);
        CallInvoker = new InProcessCallInvoker(binder =>
        {
            KV.BindService(binder, new KvService(server));
            Etcdserverpb.Watch.BindService(binder, new WatchService(server, NullLogger<WatchService>.Instance));
            Etcdserverpb.Lease.BindService(binder, new LeaseService(server, ids));
            Etcdserverpb.Cluster.BindService(binder, new ClusterService(server));
            Etcdserverpb.Maintenance.BindService(binder, new MaintenanceService(server));
            V3lockpb.Lock.BindService(binder, new LockService(server, ids));
            V3electionpb.Election.BindService(binder, new ElectionService(server, ids));
            Etcdserverpb.Auth.BindService(binder, new AuthService(server));
        });
        Kv = new KV.KVClient(CallInvoker);
        Watch = new Etcdserverpb.Watch.WatchClient(CallInvoker);
        Lease = new Etcdserverpb.Lease.LeaseClient(CallInvoker);
        Cluster = new Etcdserverpb.Cluster.ClusterClient(CallInvoker);
        Maintenance = new Etcdserverpb.Maintenance.MaintenanceClient(CallInvoker);
        Lock = new V3lockpb.Lock.LockClient(CallInvoker);
        Election = new V3electionpb.Election.ElectionClient(CallInvoker);
        Auth = new Etcdserverpb.Auth.AuthClient(CallInvoker);
    }

    /// <summary>The member itself.</summary>
    public EtcdServer Server { get; }

    /// <summary>Invokes the member's etcd v3 services in-process; build any generated client over it.</summary>
    public CallInvoker CallInvoker { get; }

    public KV.KVClient Kv { get; }
    public Etcdserverpb.Watch.WatchClient Watch { get; }
    public Etcdserverpb.Lease.LeaseClient Lease { get; }
    public Etcdserverpb.Cluster.ClusterClient Cluster { get; }
    public Etcdserverpb.Maintenance.MaintenanceClient Maintenance { get; }
    public V3lockpb.Lock.LockClient Lock { get; }
    public V3electionpb.Election.ElectionClient Election { get; }

    /// <summary>The Auth service; with auth enabled, pass the token from Authenticate as metadata "token".</summary>
    public Etcdserverpb.Auth.AuthClient Auth { get; }

    /// <summary>Starts a member with <paramref name="config"/> (etcd's defaults when omitted: data dir ./default.kvstore, peer port 2380).</summary>
    public static async Task<EmbeddedMember> StartAsync(ServerConfig? config = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        EtcdServer server = await EtcdServer.StartAsync(config ?? new ServerConfig(), loggers ?? NullLoggerFactory.Instance, cancellationToken)
            .ConfigureAwait(false);
        return new EmbeddedMember(server);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
