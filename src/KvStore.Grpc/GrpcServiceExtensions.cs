using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using KvStore.Grpc.Decoding;
using KvStore.Grpc.Internal;
using KvStore.Server;
using Microsoft.AspNetCore.Builder;
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
            options.Interceptors.Add<AuthTokenInterceptor>();
            options.Interceptors.Add<RequireLeaderInterceptor>();
        })
        // A follower's batch of proposals may hold many requests of up to --max-request-bytes each.
        .AddServiceOptions<ForwardService>(options => options.MaxReceiveMessageSize = null);
        // etcd's services decode requests as etcd does: this discovery replaces Grpc.AspNetCore's own (which would bind
        // every method a second time), so it comes after every AddGrpc.
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(EtcdRequestDecoding<>)));
        services.AddSingleton<IConfigureOptions<GrpcServiceOptions>>(sp => new ConfigureOptions<GrpcServiceOptions>(options =>
            options.MaxReceiveMessageSize = sp.GetRequiredService<IEtcdServer>().Config.MaxRequestBytes + WatchService.GrpcOverheadBytes));
        services.AddSingleton<LeaseIdGenerator>();
        return services;
    }

    /// <summary>Maps KV, Watch, Lease, Cluster, Maintenance, Lock, Election and Auth, and the internal Forward service.</summary>
    public static IEndpointRouteBuilder MapKvStoreGrpc(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<KvService>();
        endpoints.MapGrpcService<WatchService>();
        endpoints.MapGrpcService<LeaseService>();
        endpoints.MapGrpcService<ClusterService>();
        endpoints.MapGrpcService<MaintenanceService>();
        endpoints.MapGrpcService<LockService>();
        endpoints.MapGrpcService<ElectionService>();
        endpoints.MapGrpcService<AuthService>();
        endpoints.MapGrpcService<ForwardService>(); // member to member: followers forward to the leader
        return endpoints;
    }
}
