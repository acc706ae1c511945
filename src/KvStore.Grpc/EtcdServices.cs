using Etcdserverpb;
using Grpc.Core;
using KvStore.Grpc.Decoding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace KvStore.Grpc;

/// <summary>
/// The etcd v3 services a member serves, listed once: gRPC maps them (<see cref="GrpcServiceExtensions.MapKvStoreGrpc"/>),
/// and <see cref="EtcdCallHandlers"/> binds them for the in-process invoker and the JSON gateway.
/// </summary>
internal static class EtcdServices
{
    /// <summary>One service: its descriptor, how gRPC maps it, how a binder gets its methods.</summary>
    internal sealed record Service(ServiceDescriptor Descriptor, Action<IEndpointRouteBuilder> Map, Action<ServiceBinderBase, IServiceProvider> Bind);

    public static IReadOnlyList<Service> All { get; } =
    [
        Of<KvService>(KV.Descriptor, KV.BindService),
        Of<WatchService>(Watch.Descriptor, Watch.BindService),
        Of<LeaseService>(Lease.Descriptor, Lease.BindService),
        Of<ClusterService>(Cluster.Descriptor, Cluster.BindService),
        Of<MaintenanceService>(Maintenance.Descriptor, Maintenance.BindService),
        Of<AuthService>(Auth.Descriptor, Auth.BindService),
        Of<LockService>(V3lockpb.Lock.Descriptor, V3lockpb.Lock.BindService),
        Of<ElectionService>(V3electionpb.Election.Descriptor, V3electionpb.Election.BindService),
    ];

    private static Service Of<T>(ServiceDescriptor descriptor, Action<ServiceBinderBase, T> bind) where T : class =>
        new(descriptor,
            endpoints => endpoints.MapGrpcService<T>().Add(EtcdGrpcEdge.Wrap),
            (binder, services) => bind(binder, ActivatorUtilities.GetServiceOrCreateInstance<T>(services)));
}
