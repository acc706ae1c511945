using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using KvStore.Grpc.Decoding;
using KvStore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KvStore.Grpc;

/// <summary>Registers and maps etcd's v3 gRPC services. The services resolve <see cref="IEtcdServer"/> from DI.</summary>
public static class GrpcServiceExtensions
{
    /// <summary>
    /// Adds gRPC with etcd's request decoding (<see cref="EtcdRequestDecoding{TService}"/>) and etcd's message limits: a
    /// request may be --max-request-bytes plus 512 KiB of gRPC overhead (etcd's MaxRecvMsgSize; the member itself
    /// refuses a command above --max-request-bytes), responses are unbounded.
    /// </summary>
    public static IServiceCollection AddKvStoreGrpc(this IServiceCollection services)
    {
        services.AddGrpc(options =>
        {
            options.MaxSendMessageSize = null;
            options.IgnoreUnknownServices = true; // answered as grpc-go does by MapKvStoreGrpc's fallback
            options.Interceptors.Add<AuthTokenInterceptor>();
            options.Interceptors.Add<RequireLeaderInterceptor>();
        });
        // etcd's services decode requests as etcd does: this discovery replaces Grpc.AspNetCore's own (which would bind
        // every method a second time), so it comes after every AddGrpc.
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(EtcdRequestDecoding<>)));
        services.AddSingleton<IConfigureOptions<GrpcServiceOptions>>(sp => new ConfigureOptions<GrpcServiceOptions>(options =>
            options.MaxReceiveMessageSize = sp.GetRequiredService<IEtcdServer>().Config.MaxRequestBytes + WatchService.GrpcOverheadBytes));
        services.AddSingleton<LeaseIdGenerator>();
        return services;
    }

    /// <summary>
    /// Maps KV, Watch, Lease, Cluster, Maintenance, Lock, Election and Auth behind etcd's gRPC edge
    /// (<see cref="EtcdGrpcEdge"/>), and grpc-go's answer for any other gRPC path (member-internal calls are on the peer
    /// port).
    /// </summary>
    public static IEndpointRouteBuilder MapKvStoreGrpc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<KvService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<WatchService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<LeaseService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<ClusterService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<MaintenanceService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<LockService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<ElectionService>().Add(EtcdGrpcEdge.Wrap);
        endpoints.MapGrpcService<AuthService>().Add(EtcdGrpcEdge.Wrap);
        HashSet<string> services =
        [
            Etcdserverpb.KV.Descriptor.FullName, Etcdserverpb.Watch.Descriptor.FullName, Etcdserverpb.Lease.Descriptor.FullName,
            Etcdserverpb.Cluster.Descriptor.FullName, Etcdserverpb.Maintenance.Descriptor.FullName, Etcdserverpb.Auth.Descriptor.FullName,
            V3lockpb.Lock.Descriptor.FullName, V3electionpb.Election.Descriptor.FullName,
        ];
        endpoints.MapPost("{service}/{method}", http => EtcdGrpcEdge.UnknownAsync(http, services)).WithDisplayName("gRPC unknown service or method");
        return endpoints;
    }
}
