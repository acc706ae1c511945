using Grpc.AspNetCore.Server;
using KvStore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvStore.Grpc;

/// <summary>Registers and maps etcd's v3 gRPC services. The services resolve <see cref="IEtcdServer"/> from DI.</summary>
public static class GrpcServiceExtensions
{
    /// <summary>
    /// Adds gRPC with etcd's message limits: a request may be --max-request-bytes plus 512 KiB of gRPC overhead
    /// (etcd's MaxRecvMsgSize; the member itself refuses a command above --max-request-bytes), responses are unbounded.
    /// </summary>
    public static IServiceCollection AddKvStoreGrpc(this IServiceCollection services)
    {
        services.AddGrpc(options =>
        {
            options.MaxSendMessageSize = null;
            options.Interceptors.Add<AuthTokenInterceptor>();
            options.Interceptors.Add<RequireLeaderInterceptor>();
        });
        services.AddSingleton<IConfigureOptions<GrpcServiceOptions>>(sp => new ConfigureOptions<GrpcServiceOptions>(options =>
            options.MaxReceiveMessageSize = sp.GetRequiredService<IEtcdServer>().Config.MaxRequestBytes + WatchService.GrpcOverheadBytes));
        services.AddSingleton<LeaseIdGenerator>();
        return services;
    }

    /// <summary>Maps KV, Watch, Lease, Cluster, Maintenance, Lock, Election and Auth (member-internal calls are on the peer port).</summary>
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
        return endpoints;
    }
}
