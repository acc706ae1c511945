using Etcdserverpb;
using Grpc.Core;
using KvStore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Grpc.Embedded;

/// <summary>
/// A kvstore member started inside your program (etcd's embed package), with etcd v3 clients that call its
/// services directly — no socket (etcd's v3client). Dispose it to stop the member; it checkpoints on the way.
/// </summary>
public sealed class EmbeddedMember : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private EmbeddedMember(EtcdServer server, ILoggerFactory loggers)
    {
        Server = server;
        _services = new ServiceCollection().AddSingleton(loggers).AddLogging().AddSingleton<IEtcdServer>(server).AddKvStoreGrpc()
            .BuildServiceProvider();
        CallInvoker = new InProcessCallInvoker(_services.GetRequiredService<EtcdCallHandlers>());
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
    public static async Task<EmbeddedMember> StartAsync(ServerConfig? config = null, ILoggerFactory? loggers = null,
        CancellationToken cancellationToken = default)
    {
        loggers ??= NullLoggerFactory.Instance;
        EtcdServer server = await EtcdServer.StartAsync(config ?? new ServerConfig(), loggers, cancellationToken).ConfigureAwait(false);
        return new EmbeddedMember(server, loggers);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
    }
}
