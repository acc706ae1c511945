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
            options.Interceptors.Add<EtcdCallInterceptor>();
        });
        // etcd's services decode requests as etcd does: this discovery replaces Grpc.AspNetCore's own (which would bind
        // every method a second time), so it comes after every AddGrpc.
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(EtcdRequestDecoding<>)));
        services.AddSingleton<IConfigureOptions<GrpcServiceOptions>>(sp => new ConfigureOptions<GrpcServiceOptions>(options =>
            options.MaxReceiveMessageSize = sp.GetRequiredService<IEtcdServer>().Config.MaxRequestBytes + WatchService.GrpcOverheadBytes));
        services.AddSingleton<LeaseIdGenerator>();
        services.AddSingleton<LeaderMonitor>();
        services.AddSingleton<EtcdCallHandlers>();
        return services;
    }

    /// <summary>
    /// Maps KV, Watch, Lease, Cluster, Maintenance, Lock, Election and Auth behind etcd's gRPC edge
    /// (<see cref="EtcdGrpcEdge"/>), and grpc-go's answer for any other gRPC path (member-internal calls are on the peer
    /// port).
    /// </summary>
    public static IEndpointRouteBuilder MapKvStoreGrpc(this IEndpointRouteBuilder endpoints)
    {
        foreach (EtcdServices.Service service in EtcdServices.All) service.Map(endpoints);
        HashSet<string> services = [.. EtcdServices.All.Select(s => s.Descriptor.FullName)];
        endpoints.MapPost("{service}/{method}", http => EtcdGrpcEdge.UnknownAsync(http, services)).WithDisplayName("gRPC unknown service or method");
        return endpoints;
    }
}
